import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { MAP_SIZE_BYTES } from './map-size.js';

/**
 * On-disk layout of one shard: one LMDB environment in `<index>/shard-<n>/` with five named
 * databases. Bump KEY_LAYOUT_VERSION whenever a key or value layout below changes.
 *
 *   docs      id (string)          -> StoredDoc       the document minus its body
 *   hits      docNum (uint)        -> HitRecord       what a search result shows
 *   bodies    [docNum, chunk]      -> UTF-8 bytes     the body in chunks of 1 MiB, for get() and snippets, each + CRC32C
 *   postings  [seg, 0, block]      -> binary block of terms and their postings (segment-major)
 *             [seg, 1]             -> binary block index: the first term of every block
 *             [seg, 2, term]       -> binary payload of one large term, kept out of blocks
 *             [seg, 3], [seg, 4]   -> norms: title (u16) and body (u32) lengths of docNums first..last
 *   state     'state'              -> ShardState      counters, live segments, deleted docNums
 *
 * Every value of `postings` and `bodies` ends with the CRC32C of the bytes before it
 * (little-endian, see crc32c.ts), checked whenever it is read.
 *             'version'            -> number          bumped by every commit (cheap to poll)
 */
export const KEY_LAYOUT_VERSION = 3;

export const SegmentKey = {
  Block: 0,
  BlockIndex: 1,
  LargeTerm: 2,
  TitleNorms: 3,
  BodyNorms: 4,
} as const;

export interface StoredDoc {
  /** Shard-local document number, never reused. */
  n: number;
  title: string;
  tags: string[];
  date: string | number | null;
  fields: Record<string, string | number | boolean> | null;
  /** Title and body lengths in word positions (for BM25 and exact bookkeeping on delete). */
  titleLen: number;
  bodyLen: number;
}

/** [id, title, tags, date] */
export type HitRecord = [string, string, string[], string | number | null];

export interface SegmentInfo {
  id: number;
  /** First and last docNum the segment may hold: segments partition the docNum range. */
  first: number;
  last: number;
  /** Documents written into it (deleted ones included until a merge drops them). */
  docs: number;
  /** Encoded postings bytes: the merge policy's measure of size. */
  bytes: number;
  blocks: number;
}

export interface ShardState {
  version: number;
  docs: number;
  sumTitleLen: number;
  sumBodyLen: number;
  nextDoc: number;
  nextSeg: number;
  segments: SegmentInfo[];
  /** DocNums removed or replaced whose postings still sit in a live segment, ascending. */
  dead: number[];
}

export function emptyShardState(): ShardState {
  return { version: 0, docs: 0, sumTitleLen: 0, sumBodyLen: 0, nextDoc: 0, nextSeg: 0, segments: [], dead: [] };
}

export interface ShardDbs {
  /** The shard's number, for error messages that name the place. */
  shard: number;
  env: RootDatabase;
  docs: Database<StoredDoc, string>;
  hits: Database<HitRecord, number>;
  bodies: Database<Buffer, [number, number]>;
  postings: Database<Buffer, (string | number)[]>;
  state: Database<unknown, string>;
}

export function shardDir(indexDir: string, shard: number): string {
  return join(indexDir, `shard-${String(shard).padStart(3, '0')}`);
}

/**
 * Opens (creating if needed) a shard's environment. Writes are synchronous transactions and
 * commit with fsync, so a batch acknowledged by a worker is durable. lmdb-js's default
 * overlappingSync (on Linux) would return from a commit before the fsync; it is turned off
 * for that guarantee (measured: no throughput difference for our batch-sized commits).
 */
export function openShardDbs(indexDir: string, shard: number): ShardDbs {
  const env = open({ path: shardDir(indexDir, shard), maxDbs: 8, overlappingSync: false, mapSize: MAP_SIZE_BYTES });
  return {
    shard,
    env,
    docs: env.openDB<StoredDoc, string>({ name: 'docs' }),
    hits: env.openDB<HitRecord, number>({ name: 'hits' }),
    bodies: env.openDB<Buffer, [number, number]>({ name: 'bodies', encoding: 'binary' }),
    postings: env.openDB<Buffer, (string | number)[]>({ name: 'postings', encoding: 'binary' }),
    state: env.openDB<unknown, string>({ name: 'state' }),
  };
}

export function readShardState(dbs: ShardDbs): ShardState {
  return (dbs.state.get('state') as ShardState | undefined) ?? emptyShardState();
}

export function readShardVersion(dbs: ShardDbs): number {
  return (dbs.state.get('version') as number | undefined) ?? 0;
}

/** Inside a write transaction: stores the state and bumps the version readers poll. */
export function writeShardState(dbs: ShardDbs, state: ShardState): void {
  state.version += 1;
  dbs.state.putSync('state', state);
  dbs.state.putSync('version', state.version);
}
