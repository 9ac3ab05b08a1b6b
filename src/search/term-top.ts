import { BLOCK_DOCS, decodeBlockInto, SkipTable } from '../store/postings-codec.js';
import type { SegmentReader } from '../store/segment-reader.js';
import { type CorpusStats, termScore } from './bm25.js';
import { type Candidates, emptyCandidates } from './ranking.js';
import type { ShardReader, ShardView } from './shard-reader.js';

/**
 * Block-max top-k for a query of one word (tantivy's block_wand.rs, Ding & Suel 2011): every
 * 128-document block of its postings has, in its skip entry, the largest term frequencies
 * and the smallest field lengths of its documents (of the titles, those that hold the word:
 * the others score nothing in the title), so BM25F bounds the best score any of
 * them can have. Blocks are read best bound first, and reading stops when the next bound is
 * below the `window`-th best (rank level, score) found so far: the blocks left unread cannot
 * hold a document of the window, nor one that ties with it. A block that may hold a title
 * equal to the query (some title frequency, a title as short as the query) ranks above any
 * score and is always read.
 *
 * The candidates are those of the blocks read, in (shard, docNum) order as exhaustive scoring
 * gives them, with the same scores to the bit (the same termScore of the same numbers): the
 * window, the title promotions and the page drawn from it are the same (see bestOf's ties).
 */

/** Everything the bound and the scores depend on. */
export interface OneTerm {
  term: string;
  bytes: Uint8Array;
  /** idf x the term's weight in the query. */
  weight: number;
  stats: CorpusStats;
  titleWeight: number;
  bodyWeight: number;
  /** Words of the query: a title of exactly this many words that holds the word is an exact title. */
  querySlots: number;
}

/** Rank level of an exact title (see Searcher). */
const EXACT_TITLE = 2;

interface BlockRef {
  shard: number;
  segment: number;
  payload: Uint8Array;
  skip: SkipTable;
  block: number;
  /** The best score the block can hold, and whether it may hold an exact title. */
  bound: number;
  exact: boolean;
}

/** A min-heap of the `size` best (level, score) pairs seen: its root is the threshold. */
class Threshold {
  private readonly level: Uint8Array;
  private readonly score: Float64Array;
  count = 0;

  constructor(readonly size: number) {
    this.level = new Uint8Array(size);
    this.score = new Float64Array(size);
  }

  private less(i: number, j: number): boolean {
    const a = this.level[i] as number;
    const b = this.level[j] as number;
    return a !== b ? a < b : (this.score[i] as number) < (this.score[j] as number);
  }

  private swap(i: number, j: number): void {
    const l = this.level[i] as number;
    this.level[i] = this.level[j] as number;
    this.level[j] = l;
    const s = this.score[i] as number;
    this.score[i] = this.score[j] as number;
    this.score[j] = s;
  }

  offer(level: number, score: number): void {
    if (this.count < this.size) {
      let i = this.count++;
      this.level[i] = level;
      this.score[i] = score;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.less(i, parent)) break;
        this.swap(i, parent);
        i = parent;
      }
      return;
    }
    const rootLevel = this.level[0] as number;
    if (level < rootLevel || (level === rootLevel && score <= (this.score[0] as number))) return;
    this.level[0] = level;
    this.score[0] = score;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.count && this.less(l, m)) m = l;
      if (r < this.count && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  /** Whether a block whose best is (level, bound) can still reach the window or tie with it. */
  admits(level: number, bound: number): boolean {
    if (this.count < this.size) return true;
    const rootLevel = this.level[0] as number;
    return level > rootLevel || (level === rootLevel && bound >= (this.score[0] as number));
  }
}

const blockDocs = new Int32Array(BLOCK_DOCS);
const blockTfT = new Int32Array(BLOCK_DOCS);
const blockTfB = new Int32Array(BLOCK_DOCS);

/** The blocks of the word's postings in every shard and segment, with their bounds. */
function blocksOf(readers: readonly ShardReader[], views: readonly ShardView[], q: OneTerm): BlockRef[] {
  const refs: BlockRef[] = [];
  readers.forEach((reader, shard) => {
    const view = views[shard] as ShardView;
    reader.payloadCopies(view, q.term, q.bytes).forEach((payload, segment) => {
      if (payload === null) return;
      const reader = view.segments[segment] as SegmentReader;
      const skip = reader.guard(q.term, () => new SkipTable().read(payload, reader.info.first));
      for (let b = 0; b < skip.blocks; b++) {
        const maxTfT = skip.maxTfTitle[b] as number;
        // A payload of one block keeps no bounds: it is read (it is short).
        const known = maxTfT >= 0;
        const bound = known
          ? termScore(
              q.weight,
              q.stats,
              maxTfT,
              skip.maxTfBody[b] as number,
              skip.minTitleLen[b] as number,
              skip.minBodyLen[b] as number,
              q.titleWeight,
              q.bodyWeight,
            )
          : Number.POSITIVE_INFINITY;
        const exact = !known || (maxTfT > 0 && (skip.minTitleLen[b] as number) <= q.querySlots);
        refs.push({ shard, segment, payload, skip, block: b, bound, exact });
      }
    });
  });
  return refs.sort((a, b) => (a.exact !== b.exact ? (a.exact ? -1 : 1) : b.bound - a.bound));
}

/**
 * The candidates of a one-word query that can reach the `window` best (see above), and for
 * each whether its title holds the word (a title check need not read it: see Searcher).
 */
export function oneTermCandidates(
  readers: readonly ShardReader[],
  views: readonly ShardView[],
  q: OneTerm,
  window: number,
): { candidates: Candidates; titled: Uint8Array } {
  const threshold = new Threshold(window);
  const shard: number[] = [];
  const doc: number[] = [];
  const score: number[] = [];
  const exact: number[] = [];
  const titledAt: number[] = [];
  // Each block read adds a run of candidates in docNum order. Blocks of a segment do not
  // overlap, nor do the segments of a shard (only adjacent segments merge: see pickMerge),
  // so runs ordered by (shard, first docNum) list the candidates in (shard, docNum) order.
  const runs: { shard: number; first: number; start: number; end: number }[] = [];
  for (const ref of blocksOf(readers, views, q)) {
    if (!threshold.admits(ref.exact ? EXACT_TITLE : 0, ref.bound)) break;
    const { skip, payload, block: b } = ref;
    const view = views[ref.shard] as ShardView;
    const segment = view.segments[ref.segment] as SegmentReader;
    const first = segment.info.first;
    const norms = segment.norms();
    const count = segment.guard(q.term, () => decodeBlockInto(payload, skip, b, first, blockDocs, blockTfT, blockTfB));
    const start = doc.length;
    for (let i = 0; i < count; i++) {
      const d = blockDocs[i] as number;
      if (view.dead.size > 0 && view.dead.has(d)) continue;
      const tfT = blockTfT[i] as number;
      const titleLen = norms.title[d - first] as number;
      const s = termScore(
        q.weight,
        q.stats,
        tfT,
        blockTfB[i] as number,
        titleLen,
        norms.body[d - first] as number,
        q.titleWeight,
        q.bodyWeight,
      );
      const level = tfT > 0 && titleLen === q.querySlots ? EXACT_TITLE : 0;
      // Below the threshold now, below it for good: it only rises.
      if (!threshold.admits(level, s)) continue;
      threshold.offer(level, s);
      shard.push(ref.shard);
      doc.push(d);
      score.push(s);
      exact.push(level);
      titledAt.push(tfT > 0 ? 1 : 0);
    }
    if (doc.length > start) runs.push({ shard: ref.shard, first: doc[start] as number, start, end: doc.length });
  }
  // In (shard, docNum) order, as exhaustive scoring lists them.
  runs.sort((a, b) => a.shard - b.shard || a.first - b.first);
  const out = emptyCandidates(doc.length);
  const titled = new Uint8Array(doc.length);
  for (const run of runs) {
    for (let i = run.start; i < run.end; i++) {
      const k = out.count++;
      out.shard[k] = shard[i] as number;
      out.doc[k] = doc[i] as number;
      out.score[k] = score[i] as number;
      out.exact[k] = exact[i] as number;
      titled[k] = titledAt[i] as number;
    }
  }
  return { candidates: out, titled };
}
