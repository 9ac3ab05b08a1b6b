import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Analyzer } from '../analysis/analyzer.js';
import { appendFullPostings, type FullPostings, PayloadBuilder, RunPayloadBuilder, type SegmentNorms } from '../store/postings-codec.js';
import type { SegmentWriter } from '../store/segment-writer.js';
import { sortedTermIds } from '../store/term-order.js';
import { ByteWriter } from '../store/varint.js';
import { RunReader, RunWriter } from './run-file.js';
import { TermTable } from './term-table.js';

/** Tags are indexed as terms of their own that no analyzed word can equal. */
export const TAG_PREFIX = '\u0001';
export function tagTerm(tag: string): string {
  return TAG_PREFIX + tag.normalize('NFKC').toLowerCase().trim();
}

/** Position recorded for a tag: it has no place in the text and counts toward no field. */
const NO_POSITION = -1;

/**
 * Tokens held in memory before they are spilled to a sorted run on disk: 12 bytes each
 * here plus 8 while a segment is written, so about 20 MB at this bound. A normal batch
 * never reaches it; a 50 MB article is indexed in ~15 runs instead of 400 MB of arrays.
 */
export const DEFAULT_MAX_BUFFERED_TOKENS = 1 << 20;

/** Where a document's text comes from: a string, or pieces decoded from UTF-8 one at a time. */
export type TextSource = string | Iterable<string>;

/**
 * The term table (each distinct word with what it is indexed as, so the analyzer is asked
 * once a word) is kept for the next batch while it holds at most this many entries, about
 * 100 bytes each: ~3 MB of a worker heap of 32 MB and up.
 */
export const MAX_KEPT_TERM_ENTRIES = 1 << 15;
/**
 * Within a batch the table grows with its distinct terms; past this many (a huge document)
 * the tokens so far are spilled and the table starts over, as term ids do at a spill.
 */
export const MAX_TERM_ENTRIES = 1 << 17;

function grown(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

/**
 * The in-memory inverted index of one batch, written out as one segment. Tokens are
 * appended to flat typed arrays (term id, doc, position: 12 bytes a token) and grouped by
 * term only when written, with a counting sort; per-term objects and arrays would cost
 * ~1 µs a token in allocation and GC. When the tokens outgrow their bound, the postings so
 * far are written as a sorted run to a temporary file and the arrays start over; writing
 * the segment then merges the runs.
 */
export class PostingsBuffer {
  /** Every word and term met, kept across batches up to MAX_KEPT_TERM_ENTRIES. */
  private readonly table = new TermTable();
  /** The analyzer the table's extras come from. */
  private analyzer: Analyzer | null = null;
  /** Bumped when term ids start over (a batch, a spill): entries of older epochs have none. */
  private epoch = 0;
  /** Term id -> term of the current run of tokens. */
  private readonly terms: string[] = [];
  /** Entries of the words of the chunk being indexed. */
  private chunkEntries = new Int32Array(1024);
  private tokTerm = new Int32Array(1 << 16);
  private tokDoc = new Int32Array(1 << 16);
  private tokPos = new Int32Array(1 << 16);
  private n = 0;
  private readonly titleLens: number[] = [];
  private readonly bodyLens: number[] = [];
  private local = 0;
  /** The title length of the document being analyzed; unknown (all title) until its title is done. */
  private currentTitleLen = Number.POSITIVE_INFINITY;
  private totalTokens = 0;
  // Scratch for writing, kept across batches like the token arrays above.
  private scatterDocs = new Int32Array(1 << 16);
  private scatterPositions = new Int32Array(1 << 16);
  private readonly out = new ByteWriter();
  private readonly builder = new PayloadBuilder();
  private readonly runBuilder = new RunPayloadBuilder();
  private runs: string[] = [];
  private runDir: string | null = null;

  /** `maxTermEntries`: see MAX_TERM_ENTRIES (smaller in tests). */
  constructor(
    readonly maxTokens = DEFAULT_MAX_BUFFERED_TOKENS,
    private readonly maxTermEntries = MAX_TERM_ENTRIES,
    /**
     * Bytes the growing part may reach (buffered tokens, 20 bytes each with their write
     * scratch, and the term table) before the postings are spilled and the table starts
     * over: the worker's share of the memory budget for postings.
     */
    readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** The part of memoryBytes that grows with the text: buffered tokens and the term table. */
  private get growingBytes(): number {
    return this.n * 20 + this.table.bytes;
  }

  /**
   * Empties the buffer for the next batch but keeps its arrays: a worker reuses one buffer,
   * so its memory is set by the largest batch instead of churning through the GC.
   * `spillDir` is where runs go if this batch outgrows memory.
   */
  reset(spillDir: string | null = null): void {
    this.clearTokens();
    if (this.table.count > MAX_KEPT_TERM_ENTRIES) this.table.clear();
    this.titleLens.length = 0;
    this.bodyLens.length = 0;
    this.local = 0;
    this.totalTokens = 0;
    this.discardRuns();
    this.runDir = spillDir;
  }

  private clearTokens(): void {
    this.epoch++;
    this.terms.length = 0;
    this.n = 0;
  }

  /**
   * Bytes this buffer holds, as it grows: the token arrays and write scratch, the documents'
   * lengths, and an estimate of the term table. Cheap: call it after every document.
   */
  get memoryBytes(): number {
    const arrays =
      (this.tokTerm.length * 3 + this.scatterDocs.length * 2) * 4 + this.out.buf.length + this.builder.bytes + this.runBuilder.bytes;
    return (
      arrays + (this.titleLens.length + this.bodyLens.length + this.terms.length) * 8 + this.chunkEntries.length * 4 + this.table.bytes
    );
  }

  get tokens(): number {
    return this.totalTokens;
  }

  /** Runs spilled by the current batch (for tests and reports). */
  get spilledRuns(): number {
    return this.runs.length;
  }

  /**
   * Analyzes one document as the next batch-local doc. Title positions are [0, titleLen);
   * the body starts one past them, so no phrase spans the two fields.
   */
  addDocument(analyzer: Analyzer, title: string, body: TextSource, tags: readonly string[]): { titleLen: number; bodyLen: number } {
    if (analyzer !== this.analyzer) {
      this.table.clear();
      this.analyzer = analyzer;
    }
    this.local = this.titleLens.length;
    this.currentTitleLen = Number.POSITIVE_INFINITY;
    const titleLen = this.addText(analyzer, title, 0);
    this.currentTitleLen = titleLen;
    const bodyStart = titleLen + 1;
    let end = bodyStart;
    if (typeof body === 'string') end = this.addText(analyzer, body, end);
    else for (const piece of body) end = this.addText(analyzer, piece, end);
    for (const tag of new Set(tags.map(tagTerm))) this.push(this.table.entryOf(tag), NO_POSITION);
    this.titleLens.push(titleLen);
    this.bodyLens.push(end - bodyStart);
    return { titleLen, bodyLen: end - bodyStart };
  }

  /**
   * Indexes `text` from `position` as Analyzer.analyze would, and returns the next free
   * position. A word costs one table lookup (see TermTable).
   */
  private addText(analyzer: Analyzer, text: string, position: number): number {
    let next = position;
    const table = this.table;
    for (const words of analyzer.wordChunks(text)) {
      // The table starts over only between chunks and in a new epoch: a term must never hold
      // two entries with ids in one epoch.
      if ((table.count > this.maxTermEntries || this.growingBytes > this.maxBytes) && (this.n === 0 || this.runDir !== null)) {
        if (this.n > 0) this.spill();
        table.clear();
      }
      if (this.chunkEntries.length < words.length) this.chunkEntries = new Int32Array(words.length * 2);
      const chunk = this.chunkEntries;
      table.lookupWords(analyzer, words, chunk);
      for (let i = 0; i < words.length; i++) {
        const e = chunk[i] as number;
        const count = table.extraCount[e] as number;
        if (count >= 0) {
          this.push(e, next);
          const start = table.extraStart[e] as number;
          for (let k = 0; k < count; k++) this.push(table.extras[start + k] as number, next);
        }
        next++;
      }
    }
    return next;
  }

  private push(entry: number, position: number): void {
    if (this.n === this.maxTokens) this.spill();
    const table = this.table;
    let id = table.id[entry] as number;
    if (table.epoch[entry] !== this.epoch) {
      id = this.terms.length;
      this.terms.push(table.terms[entry] as string);
      table.id[entry] = id;
      table.epoch[entry] = this.epoch;
    }
    if (this.n === this.tokTerm.length) {
      const size = Math.min(this.n * 2, this.maxTokens);
      this.tokTerm = grown(this.tokTerm, size);
      this.tokDoc = grown(this.tokDoc, size);
      this.tokPos = grown(this.tokPos, size);
    }
    this.tokTerm[this.n] = id;
    this.tokDoc[this.n] = this.local;
    this.tokPos[this.n] = position;
    this.n++;
    this.totalTokens++;
  }

  /** Writes the buffered postings (batch-local doc numbers) as a sorted run, and starts over. */
  private spill(): void {
    if (this.runDir === null) throw new Error('postings buffer is full and has no spill directory');
    mkdirSync(this.runDir, { recursive: true });
    const path = join(this.runDir, `run-${process.pid}-${Date.now()}-${this.runs.length}.bin`);
    const run = new RunWriter(path);
    this.runs.push(path);
    this.encodeTerms(0, this.runBuilder, null, (term, payload) => run.add(term, payload));
    run.close();
    this.clearTokens();
  }

  private discardRuns(): void {
    for (const path of this.runs) rmSync(path, { force: true });
    this.runs = [];
  }

  /** Writes every term in order into `segment`, batch-local doc i becoming docNum first + i. */
  writeSegment(segment: SegmentWriter, first: number): void {
    const norms = this.norms();
    if (this.runs.length === 0) {
      this.encodeTerms(first, this.builder, norms, (term, payload) => segment.addTerm(term, payload));
      return;
    }
    if (this.n > 0) this.spill();
    this.mergeRuns(segment, first, norms);
  }

  /**
   * K-way merge of the spilled runs by term. A document cut by a spill ends one run and
   * starts the next; appendFullPostings joins its two halves.
   */
  private mergeRuns(segment: SegmentWriter, first: number, norms: SegmentNorms): void {
    const readers = this.runs.map((path) => new RunReader(path));
    try {
      const heads = readers.map((r) => r.next());
      const into: FullPostings = { docNums: [], tfTitle: [], tfBody: [], positions: [] };
      for (;;) {
        let term: string | null = null;
        for (const h of heads) if (h !== null && (term === null || h.term < term)) term = h.term;
        if (term === null) break;
        into.docNums.length = 0;
        into.tfTitle.length = 0;
        into.tfBody.length = 0;
        into.positions.length = 0;
        for (let i = 0; i < readers.length; i++) {
          const h = heads[i];
          if (h !== null && h !== undefined && h.term === term) {
            appendFullPostings(h.payload, 0, into);
            heads[i] = (readers[i] as RunReader).next();
          }
        }
        const { builder } = this;
        builder.start(first, norms);
        let p = 0;
        for (let i = 0; i < into.docNums.length; i++) {
          const tfTitle = into.tfTitle[i] as number;
          const tfBody = into.tfBody[i] as number;
          let prev = 0;
          for (let c = tfTitle + tfBody; c > 0; c--) {
            const pos = into.positions[p++] as number;
            builder.gap(pos - prev);
            prev = pos;
          }
          builder.posting((into.docNums[i] as number) + first, tfTitle, tfBody);
        }
        this.out.reset();
        builder.finish(this.out);
        segment.addTerm(term, this.out);
      }
    } finally {
      for (const r of readers) r.close(false);
      this.discardRuns();
    }
  }

  /**
   * Encodes the buffered postings of every term, in term order, doc numbers offset by
   * `first`: with the segment format (and the segment's norms, for block bounds) or, for a
   * spill, the run format.
   */
  private encodeTerms(
    first: number,
    builder: PayloadBuilder | RunPayloadBuilder,
    norms: SegmentNorms | null,
    emit: (term: string, payload: ByteWriter) => void,
  ): void {
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

    const { out, titleLens } = this;
    for (const t of byTerm) {
      if (norms === null) (builder as RunPayloadBuilder).start(first);
      else (builder as PayloadBuilder).start(first, norms);
      const end = start[t + 1] as number;
      let k = start[t] as number;
      while (k < end) {
        const d = docs[k] as number;
        const titleLen = d < titleLens.length ? (titleLens[d] as number) : this.currentTitleLen;
        let tfTitle = 0;
        let tfBody = 0;
        let prev = 0;
        for (; k < end && docs[k] === d; k++) {
          const pos = positions[k] as number;
          if (pos === NO_POSITION) continue;
          if (pos < titleLen) tfTitle++;
          else tfBody++;
          builder.gap(pos - prev);
          prev = pos;
        }
        builder.posting(first + d, tfTitle, tfBody);
      }
      out.reset();
      builder.finish(out);
      emit(terms[t] as string, out);
    }
  }

  /** Title and body lengths of the batch's documents, in batch order: the segment's norms. */
  norms(): SegmentNorms {
    return { title: Uint16Array.from(this.titleLens, (n) => Math.min(n, 0xffff)), body: Uint32Array.from(this.bodyLens) };
  }
}
