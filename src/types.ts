import type { MemoryPlan } from './config.js';

/** A document as callers give it to `add()`. */
export interface Doc {
  /** Unique id (1 to 512 UTF-8 bytes). Adding an existing id replaces that document. */
  id: string;
  /** Title, weighted above the body in ranking. Default: empty. */
  title?: string;
  /** The text to search, as a string or as UTF-8 bytes (a Buffer is not copied into a string). Not empty. */
  body: string | Uint8Array;
  /** Labels to filter on with `search(q, { tags })`; matched case-insensitively. */
  tags?: string[];
  /** Publication date as an ISO string or a millisecond timestamp; stored and returned. */
  date?: string | number;
  /** Extra fields, stored and returned by `get()`; not searched. */
  fields?: Record<string, string | number | boolean>;
}

/** A validated document as it travels to a worker. */
export interface DocInput {
  id: string;
  title: string;
  body: string;
  tags: string[];
  date: string | number | null;
  fields: Record<string, string | number | boolean> | null;
}

/**
 * A large body travels as UTF-8 bytes (`bodyUtf8`, transferred, not copied) with `doc.body`
 * empty, so that neither thread holds it twice or as one huge string.
 */
export type BatchOp = { op: 'add'; doc: DocInput; bodyUtf8?: Uint8Array; transfer?: boolean } | { op: 'remove'; id: string };

export interface BatchResult {
  added: number;
  replaced: number;
  /** Adds overtaken by a later add of the same id in the same batch (duplicates in a dump). */
  superseded: number;
  removed: number;
  /** Removes of ids that were not in the index. */
  missing: number;
  tokens: number;
  merges: number;
  /** Where the worker's time went, in milliseconds: segmentation, the commit, merges. */
  ms: { analyze: number; write: number; merge: number };
}

export interface SearchOptions {
  /** Hits to return. Default 10, at most 1000. */
  limit?: number;
  /** Hits to skip, for paging. Default 0. */
  offset?: number;
  /** Only documents carrying every one of these tags. */
  tags?: string[];
}

export interface SearchHit {
  id: string;
  score: number;
  title: string;
  tags: string[];
  date: string | number | null;
}

export interface SearchResult {
  /** Number of matching documents, whatever limit and offset are. */
  total: number;
  hits: SearchHit[];
  /** Wall time of the search in milliseconds. */
  tookMs: number;
}

export interface IndexStats {
  docs: number;
  /** The generation read (gen-NNNNNN): a rebuild makes a new one and switches to it. */
  generation: string;
  shards: number;
  threads: number;
  /** The memory budget, the threads it chose and why. */
  memory: MemoryPlan;
  bytesOnDisk: number;
  /** Documents per shard, in shard order. */
  shardDocs: number[];
  /** Live segments per shard, in shard order. */
  shardSegments: number[];
}
