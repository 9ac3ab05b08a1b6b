import type { Analyzer } from '../analysis/analyzer.js';
import { type EncodeColumns, encodePayload, type SegmentNorms } from '../store/postings-codec.js';
import type { SegmentWriter } from '../store/segment-writer.js';
import { sortedTermIds } from '../store/term-order.js';
import { ByteWriter } from '../store/varint.js';

/** Tags are indexed as terms of their own that no analyzed word can equal. */
export const TAG_PREFIX = '\u0001';
export function tagTerm(tag: string): string {
  return TAG_PREFIX + tag.normalize('NFKC').toLowerCase().trim();
}

/** Position recorded for a tag: it has no place in the text and counts toward no field. */
const NO_POSITION = -1;

function grown(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

/**
 * The in-memory inverted index of one batch (bounded by the batch's size in bytes), written
 * out as one segment. Tokens are appended to flat typed arrays (term id, doc, position:
 * 12 bytes a token) and grouped by term only when the segment is written, with a counting
 * sort; per-term objects and arrays would cost ~1 µs a token in allocation and GC.
 */
export class PostingsBuffer {
  private readonly termIds = new Map<string, number>();
  private readonly terms: string[] = [];
  private tokTerm = new Int32Array(1 << 16);
  private tokDoc = new Int32Array(1 << 16);
  private tokPos = new Int32Array(1 << 16);
  private n = 0;
  private readonly titleLens: number[] = [];
  private readonly bodyLens: number[] = [];
  private local = 0;
  private readonly sink = (term: string, position: number): void => this.push(term, position);
  // Scratch for writeSegment, kept across batches like the token arrays above.
  private scatterDocs = new Int32Array(1 << 16);
  private scatterPositions = new Int32Array(1 << 16);
  private readonly out = new ByteWriter();
  private readonly scratch = new ByteWriter();

  /**
   * Empties the buffer for the next batch but keeps its arrays: a worker reuses one buffer,
   * so its memory is set by the largest batch instead of churning through the GC.
   */
  reset(): void {
    this.termIds.clear();
    this.terms.length = 0;
    this.n = 0;
    this.titleLens.length = 0;
    this.bodyLens.length = 0;
    this.local = 0;
  }

  get tokens(): number {
    return this.n;
  }

  /**
   * Analyzes one document as the next batch-local doc. Title positions are [0, titleLen);
   * the body starts one past them, so no phrase spans the two fields.
   */
  addDocument(analyzer: Analyzer, title: string, body: string, tags: readonly string[]): { titleLen: number; bodyLen: number } {
    this.local = this.titleLens.length;
    const titleLen = analyzer.analyze(title, 0, this.sink);
    const bodyStart = titleLen + 1;
    const bodyLen = analyzer.analyze(body, bodyStart, this.sink) - bodyStart;
    for (const tag of new Set(tags.map(tagTerm))) this.push(tag, NO_POSITION);
    this.titleLens.push(titleLen);
    this.bodyLens.push(bodyLen);
    return { titleLen, bodyLen };
  }

  private push(term: string, position: number): void {
    let id = this.termIds.get(term);
    if (id === undefined) {
      id = this.terms.length;
      this.terms.push(term);
      this.termIds.set(term, id);
    }
    if (this.n === this.tokTerm.length) {
      const size = this.n * 2;
      this.tokTerm = grown(this.tokTerm, size);
      this.tokDoc = grown(this.tokDoc, size);
      this.tokPos = grown(this.tokPos, size);
    }
    this.tokTerm[this.n] = id;
    this.tokDoc[this.n] = this.local;
    this.tokPos[this.n] = position;
    this.n++;
  }

  /** Writes every term in order into `segment`, batch-local doc i becoming docNum first + i. */
  writeSegment(segment: SegmentWriter, first: number): void {
    const termCount = this.terms.length;
    // Counting sort of token indexes by term id; stable, so each term's tokens stay in doc order.
    const start = new Int32Array(termCount + 1);
    for (let i = 0; i < this.n; i++) {
      const slot = (this.tokTerm[i] as number) + 1;
      start[slot] = (start[slot] as number) + 1;
    }
    for (let t = 0; t < termCount; t++) start[t + 1] = (start[t + 1] as number) + (start[t] as number);
    // Scatter (doc, position) into term order once, so the encoding pass below reads
    // sequentially; gathering through an index array missed the cache on every token.
    const cursor = start.slice(0, termCount);
    if (this.scatterDocs.length < this.n) {
      this.scatterDocs = new Int32Array(this.tokTerm.length);
      this.scatterPositions = new Int32Array(this.tokTerm.length);
    }
    const docs = this.scatterDocs;
    const positions = this.scatterPositions;
    for (let i = 0; i < this.n; i++) {
      const t = this.tokTerm[i] as number;
      const at = cursor[t] as number;
      docs[at] = this.tokDoc[i] as number;
      positions[at] = this.tokPos[i] as number;
      cursor[t] = at + 1;
    }
    const terms = this.terms;
    const byTerm = sortedTermIds(terms);

    // Columns sized for the largest term: no term has more postings or positions than tokens.
    let maxTokens = 0;
    for (let t = 0; t < termCount; t++) maxTokens = Math.max(maxTokens, (start[t + 1] as number) - (start[t] as number));
    const cols: EncodeColumns = {
      count: 0,
      docNums: new Int32Array(maxTokens),
      tfTitle: new Int32Array(maxTokens),
      tfBody: new Int32Array(maxTokens),
      positions: new Int32Array(maxTokens),
    };
    const { out, scratch } = this;
    for (const t of byTerm) {
      let n = -1;
      let p = 0;
      let doc = -1;
      let titleLen = 0;
      const end = start[t + 1] as number;
      for (let k = start[t] as number; k < end; k++) {
        const d = docs[k] as number;
        if (d !== doc) {
          doc = d;
          titleLen = this.titleLens[d] as number;
          n++;
          cols.docNums[n] = first + d;
          cols.tfTitle[n] = 0;
          cols.tfBody[n] = 0;
        }
        const pos = positions[k] as number;
        if (pos === NO_POSITION) continue;
        if (pos < titleLen) cols.tfTitle[n] = (cols.tfTitle[n] as number) + 1;
        else cols.tfBody[n] = (cols.tfBody[n] as number) + 1;
        cols.positions[p++] = pos;
      }
      cols.count = n + 1;
      out.reset();
      encodePayload(out, scratch, first, cols);
      segment.addTerm(terms[t] as string, out);
    }
  }

  /** Title and body lengths of the batch's documents, in batch order: the segment's norms. */
  norms(): SegmentNorms {
    return { title: Uint16Array.from(this.titleLens, (n) => Math.min(n, 0xffff)), body: Uint32Array.from(this.bodyLens) };
  }
}
