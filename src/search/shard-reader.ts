import { decodePostingsWithin, payloadCount } from '../store/block-postings.js';
import { decodePositions, decodePostings, type PositionLists, PostingColumns } from '../store/postings-codec.js';
import { SegmentReader } from '../store/segment-reader.js';
import { type HitRecord, readShardState, readShardVersion, type ShardDbs, type ShardState } from '../store/shard-store.js';
import { DocColumns } from './doc-columns.js';

export interface ShardView {
  version: number;
  state: ShardState;
  dead: Set<number>;
  segments: SegmentReader[];
}

/**
 * Per-document score accumulators of one shard, indexed by docNum and reused across
 * queries: about 30 bytes per document of the shard, instead of a hash map entry per
 * candidate per query. `touched` lists the entries to reset.
 */
export class Accumulators {
  score = new Float64Array(0);
  /** Per reading of the query (see Reading): bits of the slots matched, and of those found in the title. */
  covered = [new Int32Array(0), new Int32Array(0)];
  titleCovered = [new Int32Array(0), new Int32Array(0)];
  titleLen = new Uint16Array(0);
  /** 1 for the documents that match the query being scored. */
  member = new Uint8Array(0);
  touched = new Int32Array(0);
  touchedCount = 0;

  fit(docs: number): void {
    if (this.score.length >= docs) return;
    const size = Math.max(docs, this.score.length * 2, 1024);
    this.score = new Float64Array(size);
    this.covered = [new Int32Array(size), new Int32Array(size)];
    this.titleCovered = [new Int32Array(size), new Int32Array(size)];
    this.titleLen = new Uint16Array(size);
    this.member = new Uint8Array(size);
    this.touched = new Int32Array(size);
    this.touchedCount = 0;
  }

  reset(): void {
    const [covered0, covered1] = this.covered as [Int32Array, Int32Array];
    const [title0, title1] = this.titleCovered as [Int32Array, Int32Array];
    for (let i = 0; i < this.touchedCount; i++) {
      const doc = this.touched[i] as number;
      this.score[doc] = 0;
      covered0[doc] = 0;
      covered1[doc] = 0;
      title0[doc] = 0;
      title1[doc] = 0;
      this.member[doc] = 0;
    }
    this.touchedCount = 0;
  }
}

/**
 * What a query keeps of a term's payload in a segment after decoding its postings, so that
 * reading positions later (phrases, proximity) needs no second lookup: a copy of a small
 * payload, LARGE for a large one not kept (read again), or null when the segment lacks the term.
 */
const LARGE = 'large';
type PayloadMemo = Uint8Array | typeof LARGE | null;
/**
 * A copy of exactly `bytes.length` bytes. lmdb-js's fast reads return a view of its shared
 * read buffer whose `length` is the value's size while the view itself may extend further:
 * copying the view whole would copy (and cost) the rest of that buffer.
 */
function copyOf(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes.subarray(0, bytes.length));
  return copy;
}

/** Payloads up to this size are copied for the positions pass (a copy costs less than a lookup). */
const MEMO_PAYLOAD_BYTES = 16 * 1024;
const NONE = new Int32Array(0);
/** Stored records one query keeps (see ShardReader.hits): what a page and its checks read, not what a scorer does. */
const HIT_MEMO_RECORDS = 256;
/** Bytes of large payloads one query may keep copies of, per shard: a bound on what a query holds. */
const QUERY_COPY_BYTES = 4 * 2 ** 20;

/**
 * The search side of one shard, on the main thread: LMDB reads are synchronous and cost a
 * microsecond, cheaper than a message to a worker. The shard's state is re-read only when
 * its version key changes; segment readers (immutable) are kept across versions.
 */
export class ShardReader {
  private view: ShardView | null = null;
  private readers = new Map<number, SegmentReader>();
  readonly accumulators = new Accumulators();
  private columns: DocColumns | null = null;
  /** Per term of the current query, per segment: see PayloadMemo. */
  private readonly memo = new Map<string, { memo: PayloadMemo[]; count: number }>();
  private memoVersion = -1;
  private deadSorted = new Int32Array(0);
  /** Bytes of large payloads copied for the current query (see memoOf). */
  private copiedBytes = 0;
  /** Postings nobody reads (liveCount decodes into it). */
  private readonly scratch = new PostingColumns();
  private deadVersion = -1;
  /**
   * Stored records read by the current query: the title checks, the phrase checks and the
   * page read the same best few (each read is a lookup and a decode, ~1.7 µs).
   */
  private readonly hits = new Map<number, HitRecord>();

  constructor(readonly dbs: ShardDbs) {}

  /** Dates and live flags by docNum, read on first use (see DocColumns). */
  docColumns(view: ShardView): DocColumns {
    this.columns ??= new DocColumns(this.dbs);
    this.columns.refresh(view);
    return this.columns;
  }

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

  /**
   * The payloads of `term` in the view's segments, read once per query (see PayloadMemo),
   * with the term's postings in the shard, live or not.
   */
  private lookup(view: ShardView, term: string, termBytes: Uint8Array): { memo: PayloadMemo[]; count: number } {
    if (this.memoVersion !== view.version) {
      this.memo.clear();
      this.memoVersion = view.version;
    }
    let found = this.memo.get(term);
    if (found === undefined) {
      const memo: PayloadMemo[] = [];
      let count = 0;
      for (const segment of view.segments) {
        const payload = segment.payload(term, termBytes);
        if (payload !== null) count += segment.guard(term, () => payloadCount(payload));
        memo.push(this.memoOf(payload, true));
      }
      found = { memo, count };
      this.memo.set(term, found);
    }
    return found;
  }

  /**
   * What to keep of a payload just read (see PayloadMemo): a copy (Buffer#slice would be a
   * view of LMDB's buffer, which the next read overwrites) if it is small, or if the query's
   * copies stay within QUERY_COPY_BYTES (a large list is then not read twice).
   */
  private memoOf(payload: Uint8Array | null, keepLarge: boolean): PayloadMemo {
    if (payload === null) return null;
    if (payload.length <= MEMO_PAYLOAD_BYTES) return copyOf(payload);
    if (keepLarge && this.copiedBytes + payload.length <= QUERY_COPY_BYTES) {
      this.copiedBytes += payload.length;
      return copyOf(payload);
    }
    return LARGE;
  }

  /**
   * Runs `decode` on each payload of `term` and adds up what it returns. A term not read yet
   * in this query is decoded straight from LMDB's buffer (what later reads need is kept, see
   * memoOf); one already read, from the copies kept (a large one not kept is read again).
   */
  private decodeEach(
    view: ShardView,
    term: string,
    termBytes: Uint8Array,
    decode: (payload: Uint8Array, segment: SegmentReader) => number,
  ): number {
    let sum = 0;
    const known = this.memoVersion === view.version ? this.memo.get(term) : undefined;
    if (known === undefined) {
      if (this.memoVersion !== view.version) {
        this.memo.clear();
        this.memoVersion = view.version;
      }
      const memo: PayloadMemo[] = [];
      let count = 0;
      for (const segment of view.segments) {
        // Norms first: loading them reads LMDB, which would overwrite the payload's buffer.
        segment.norms();
        const payload = segment.payload(term, termBytes);
        if (payload !== null) {
          count += segment.guard(term, () => payloadCount(payload));
          sum += segment.guard(term, () => decode(payload, segment));
        }
        memo.push(this.memoOf(payload, false));
      }
      this.memo.set(term, { memo, count });
      return sum;
    }
    known.memo.forEach((kept, i) => {
      if (kept === null) return;
      const segment = view.segments[i] as SegmentReader;
      segment.norms();
      const payload = kept instanceof Uint8Array ? kept : segment.payload(term, termBytes);
      if (payload !== null) sum += segment.guard(term, () => decode(payload, segment));
    });
    return sum;
  }

  /** Appends the live postings of `term` to `cols`; returns how many. */
  postings(view: ShardView, term: string, termBytes: Uint8Array, cols: PostingColumns): number {
    const dead = view.dead.size > 0 ? view.dead : null;
    return this.decodeEach(view, term, termBytes, (p, seg) => decodePostings(p, seg.info.first, seg.norms(), dead, cols));
  }

  /**
   * Appends the live postings of `term` for the docNums of `within` (live, ascending) to
   * `cols`, decoding only the blocks that may hold one of them (see block-postings.ts).
   * Returns the term's live postings in the shard: all of them, not only those appended.
   */
  postingsWithin(view: ShardView, term: string, termBytes: Uint8Array, within: Int32Array, cols: PostingColumns): number {
    const dead = this.deadDocs(view);
    return this.decodeEach(view, term, termBytes, (p, seg) => decodePostingsWithin(p, seg.info.first, seg.norms(), within, dead, cols));
  }

  /** The payload of `term` in each segment of the view (null where it has none), as copies that later reads leave alone. */
  payloadCopies(view: ShardView, term: string, termBytes: Uint8Array): (Uint8Array | null)[] {
    return this.lookup(view, term, termBytes).memo.map((kept, i) => {
      if (kept === null || kept instanceof Uint8Array) return kept;
      const payload = (view.segments[i] as SegmentReader).payload(term, termBytes);
      return payload === null ? null : copyOf(payload);
    });
  }

  /** The live postings of `term` in the shard: decodes only the blocks that may hold a removed document. */
  liveCount(view: ShardView, term: string, termBytes: Uint8Array): number {
    if (view.dead.size === 0) return this.postingCount(view, term, termBytes);
    return this.postingsWithin(view, term, termBytes, NONE, this.scratch.clear());
  }

  /** The postings of `term` in the shard, live or not, without decoding any: to find a query's rarest word. */
  postingCount(view: ShardView, term: string, termBytes: Uint8Array): number {
    return this.lookup(view, term, termBytes).count;
  }

  /** The removed docNums of a view, ascending (kept until the view changes). */
  private deadDocs(view: ShardView): Int32Array {
    if (this.deadVersion !== view.version) {
      this.deadSorted = Int32Array.from(view.dead).sort();
      this.deadVersion = view.version;
    }
    return this.deadSorted;
  }

  /** Forgets the payloads kept for the previous query (see PayloadMemo). */
  beginQuery(): void {
    this.memo.clear();
    this.copiedBytes = 0;
    this.hits.clear();
  }

  /**
   * Decodes the positions of `lists.wanted` (live docNums, ascending) for `term`: only the
   * blocks that hold one are read (see decodePositions), so a common word costs what its
   * candidates hold, not what the whole list does.
   */
  positions(view: ShardView, term: string, termBytes: Uint8Array, lists: PositionLists): void {
    const memo = this.memoVersion === view.version ? this.memo.get(term)?.memo : undefined;
    for (let i = 0; i < view.segments.length; i++) {
      const segment = view.segments[i] as SegmentReader;
      const { first, last } = segment.info;
      const wanted = lists.wanted;
      if (wanted.length === 0 || (wanted[wanted.length - 1] as number) < first || (wanted[0] as number) > last) continue;
      const kept = memo?.[i];
      if (kept === null) continue;
      const payload = kept instanceof Uint8Array ? kept : segment.payload(term, termBytes);
      if (payload === null) continue;
      segment.guard(term, () => decodePositions(payload, first, lists));
    }
  }

  /** The title length (in word positions) of a live docNum. */
  titleLen(view: ShardView, docNum: number): number {
    for (const segment of view.segments) {
      if (docNum >= segment.info.first && docNum <= segment.info.last) return segment.norms().title[docNum - segment.info.first] ?? 0;
    }
    return 0;
  }

  /** Adds this shard's terms that begin with `prefix` to `into`, with their posting counts. */
  termsWithPrefix(view: ShardView, prefix: string, max: number, into: Map<string, number>): void {
    for (const segment of view.segments) segment.termsWithPrefix(prefix, max, into);
  }

  hit(docNum: number): HitRecord | undefined {
    const known = this.hits.get(docNum);
    if (known !== undefined) return known;
    const record = this.dbs.hits.get(docNum);
    if (record !== undefined && this.hits.size < HIT_MEMO_RECORDS) this.hits.set(docNum, record);
    return record;
  }
}
