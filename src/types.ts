import type { MemoryPlan } from './config.js';
import type { SnippetOptions } from './search/snippets.js';
import type { WorkerHeap } from './worker-heap.js';

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
export type BatchOp = { op: 'add'; doc: DocInput; bodyUtf8?: Uint8Array; transfer?: boolean } | { op: 'remove'; id: string } | RawRecordOp;

/** An op a shard writer applies: raw records are parsed into adds first. */
export type ParsedOp = Exclude<BatchOp, RawRecordOp>;

/**
 * A record still in its input bytes (an NDJSON line), parsed by the worker: the main thread
 * only found its id. On the main thread `bytes` holds the line; in a task the lines of a
 * batch travel packed in one buffer (IndexBatchTask.raw) and `start`/`end` locate this one.
 */
export interface RawRecordOp {
  op: 'raw';
  /** The id the main thread read (routing), or null when it found none: the worker says why. */
  id: string | null;
  file: string;
  line: number;
  bytes?: Uint8Array;
  start?: number;
  end?: number;
}

/** How a worker turns raw records into documents: the ingest options that can cross threads. */
export interface RawRecordOptions {
  fields?: { id?: string; title?: string; body?: string; tags?: string; date?: string };
  html?: boolean;
  numericIds?: boolean;
  /** Largest document, UTF-8 bytes of title and body; `maxDocBytesReason` says whose limit it is. */
  maxDocBytes: number;
  maxDocBytesReason: string;
  truncateLongDocs: boolean;
}

/** A raw record the worker could not index: where it is and why. */
export interface RawRejection {
  file: string;
  line: number;
  id: string | null;
  reason: string;
}

/** A worker's shares of the memory budget, bytes (see MemoryPlan). */
export interface WorkerShares {
  /** Buffered postings (token arrays and term dictionary) before a sorted run is spilled. */
  postingsBytes: number;
  /** Bytes written per LMDB transaction. */
  txnBytes: number;
  /** Postings bytes one merge step reads. */
  mergeBytes: number;
}

export interface BatchResult {
  added: number;
  replaced: number;
  /** Adds overtaken by a later add of the same id in the same batch (duplicates in a dump). */
  superseded: number;
  removed: number;
  /** Removes of ids that were not in the index. */
  missing: number;
  /** Raw records the worker could not index (bad JSON, invalid document), first ones; see rejectedCount. */
  rejected: RawRejection[];
  rejectedCount: number;
  tokens: number;
  merges: number;
  /** Where the worker's time went, in milliseconds: segmentation, the commit, merges. */
  ms: { analyze: number; write: number; merge: number };
  /** The worker's heap after the batch (set by the worker, not the writer). */
  heap?: WorkerHeap;
}

/** A date bound: an ISO date (`2019`, `2019-05`, `2019-05-01`, or a full time) or ms since the epoch. */
export type DateValue = string | number;

/** Inclusive (`gte`, `lte`) or exclusive (`gt`, `lt`) bounds; a partial date is its whole period. */
export interface DateRange {
  gte?: DateValue;
  gt?: DateValue;
  lte?: DateValue;
  lt?: DateValue;
}

/**
 * The query as data instead of a string (riot's Logic). Every entry of `must`, `should` and
 * `not` is itself a query string (so `'"内存溢出"'`, `'title:分析'` work in it).
 *
 * @example
 * index.search({ must: ['内存'], should: ['溢出', '泄漏'], not: ['beego'], tags: ['go'], range: { date: { gte: '2019' } } })
 */
export interface StructuredQuery {
  /** Every one of these must match. */
  must?: string[];
  /** Without `must`, at least one must match; with `must`, they only raise the score. */
  should?: string[];
  /** None of these may match. */
  not?: string[];
  /** Only documents with every one of these tags. */
  tags?: string[];
  /** Only documents whose `date` is in the range. */
  range?: { date: DateRange };
}

/** What a custom scorer sees of each matching document. */
export interface ScorerInput {
  id: string;
  /** The engine's score (BM25F with the boosts, proximity and recency applied). */
  score: number;
  title: string;
  tags: string[];
  date: string | number | null;
}

export interface SearchOptions {
  /**
   * Give each hit a `snippet`: the best fragment(s) of its body with the matched words
   * between markers (default `<mark>`/`</mark>`) and the rest HTML-escaped. `true` for the
   * defaults, or options (markers, fragments, fragmentChars, ellipsis, escapeHtml). A long
   * article is searched only in its first 256 K characters.
   */
  snippets?: boolean | SnippetOptions;
  /** Hits to return. Default 10, at most 1000. */
  limit?: number;
  /** Hits to skip, for paging. Default 0. */
  offset?: number;
  /** Only documents carrying every one of these tags. */
  tags?: string[];
  /**
   * `'query'` (default): the query language (README "Query syntax"): quotes, `-`, `OR`,
   * parentheses, `tag:`, `title:`, `date:`; text that is not valid query syntax (an unclosed
   * quote, `AND` at the start, an unknown `field:`) is searched as plain words instead, and
   * the result says so (`syntax: 'plain'`, `syntaxError`): a search box never fails.
   * `'plain'`: the whole string is words to look for, nothing is an operator (for pasted text).
   * `'strict'`: the query language, and a malformed query throws QuerySyntaxError (code
   * E_QUERY_SYNTAX, with `position`): for code that builds queries. Except with `'strict'`,
   * text over the limits (4,096 characters, 64 words) is cut to them, not refused.
   */
  syntax?: 'query' | 'plain' | 'strict';
  /** Search-as-you-type: the query's last word also matches terms it begins (`内存溢` finds 内存溢出). Default false. */
  prefix?: boolean;
  /** `'score'` (default), `'date'` (newest first) or `'date-asc'`; documents without a date come last. Ties go by score, then id. */
  sort?: 'score' | 'date' | 'date-asc';
  /** Field weights of BM25F. Default `{ title: 3, body: 1 }`. */
  boosts?: { title?: number; body?: number };
  /**
   * Recency boost: the score is multiplied by `1 - weight + weight * 0.5^(age / halfLifeDays)`,
   * age measured from `now` (ms, default the current time) to the document's `date`. A document
   * without a date gets the factor of an infinitely old one. `weight` is 0 to 1, default 0.5.
   */
  recency?: { halfLifeDays: number; weight?: number; now?: number };
  /**
   * Custom scoring (riot's ScoringCriteria): called for every matching document with the
   * engine's score; its return value (a finite number) is the score used for ranking. It
   * costs a stored-record read per matching document (~1-2 µs).
   */
  scorer?: (hit: ScorerInput) => number;
  /** Count the matches only: `hits` is empty, `total` exact. */
  countOnly?: boolean;
  /**
   * Check the text of every match of a phrase, so that `total` is exact (`totalExact`). By
   * default only the matches that can be ranked onto the page are checked (see totalExact):
   * the hits are the same, a common phrase answers in milliseconds instead of reading
   * thousands of stored bodies.
   */
  exactTotal?: boolean;
  /**
   * Stop after about this many milliseconds and return what was found so far, with
   * `partial: true` (shards and terms not reached are missing from hits and total).
   */
  timeoutMs?: number;
}

export interface SearchHit {
  id: string;
  score: number;
  title: string;
  tags: string[];
  date: string | number | null;
  /** With the `snippets` option: the best fragment(s) of the body, highlighted. */
  snippet?: string;
}

export interface SearchResult {
  /** Number of matching documents, whatever limit and offset are. */
  total: number;
  /**
   * False when `total` may count a few documents that do not match: a phrase's matches are
   * the documents where its words stand in order by position, and only those that can reach
   * the page have their text compared (nearly all of them hold the phrase; the others are
   * dropped and not counted). The hits are exact either way. `exactTotal: true` and
   * `countOnly` check every match.
   */
  totalExact: boolean;
  hits: SearchHit[];
  /** Wall time of the search in milliseconds. */
  tookMs: number;
  /** True when `timeoutMs` ran out: hits and total are what was found until then. */
  partial: boolean;
  /**
   * True when no document had all the words of a plain query and the result lists documents
   * with some of them instead (ranked by how many they have).
   */
  relaxed: boolean;
  /**
   * How a query string was read: `'query'`, the query language, or `'plain'`, as plain words
   * (asked for with `syntax: 'plain'`, or because the text was not valid query syntax).
   * A StructuredQuery is `'query'`.
   */
  syntax: 'query' | 'plain';
  /**
   * Set when the text was not read as typed: why it is not valid query syntax (`position`,
   * a UTF-16 offset in the query, and `message`, e.g. `this quote is never closed`), or that
   * it was cut to the limits. A host may show it ("searched as plain words"); the hits are valid.
   */
  syntaxError?: { position: number; message: string };
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
