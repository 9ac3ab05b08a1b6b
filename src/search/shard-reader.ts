import { decodePostings, type PostingColumns } from '../store/postings-codec.js';
import { SegmentReader } from '../store/segment-reader.js';
import {
  type HitRecord,
  readShardState,
  readShardVersion,
  type ShardDbs,
  type ShardState,
} from '../store/shard-store.js';

interface ShardView {
  version: number;
  state: ShardState;
  dead: Set<number>;
  segments: SegmentReader[];
}

/**
 * The search side of one shard, on the main thread: LMDB reads are synchronous and cost a
 * microsecond, cheaper than a message to a worker. The shard's state is re-read only when
 * its version key changes; segment readers (immutable) are kept across versions.
 */
export class ShardReader {
  private view: ShardView | null = null;
  private readers = new Map<number, SegmentReader>();

  constructor(readonly dbs: ShardDbs) {}

  current(): ShardView {
    const version = readShardVersion(this.dbs);
    if (this.view === null || this.view.version !== version) {
      const state = readShardState(this.dbs);
      const readers = new Map<number, SegmentReader>();
      for (const info of state.segments) readers.set(info.id, this.readers.get(info.id) ?? new SegmentReader(this.dbs, info));
      this.readers = readers;
      this.view = { version, state, dead: new Set(state.dead), segments: [...readers.values()] };
    }
    return this.view;
  }

  /** Appends the live postings of `term` to `cols`; returns how many. */
  postings(view: ShardView, term: string, termBytes: Uint8Array, cols: PostingColumns): number {
    let kept = 0;
    const dead = view.dead.size > 0 ? view.dead : null;
    for (const segment of view.segments) {
      const payload = segment.payload(term, termBytes);
      if (payload !== null) kept += decodePostings(payload, segment.info.first, dead, cols);
    }
    return kept;
  }

  hit(docNum: number): HitRecord | undefined {
    return this.dbs.hits.get(docNum);
  }
}
