import type { DocInput } from '../types.js';

/** The input formats of `ruyi index`; `auto` picks one by content and extension. */
export type InputFormat = 'ndjson' | 'json' | 'csv' | 'markdown' | 'html' | 'txt';

/**
 * Source field names for dumps whose columns are named differently, e.g. a MySQL `article`
 * table: `{ id: 'article_id', title: 'subject', body: 'content', date: 'created_at' }`.
 * Used by ndjson, json and csv; each defaults to the document field of the same name.
 */
export interface FieldMap {
  id?: string;
  title?: string;
  body?: string;
  tags?: string;
  date?: string;
}

export interface InputOptions {
  /**
   * `auto` (default): gzip by its magic bytes, then the format by extension (.ndjson/.jsonl,
   * .json, .csv/.tsv, .md/.markdown, .html/.htm, .txt, each optionally + .gz) or by the first
   * byte (`[` json, `{` ndjson). A directory is a tree of .md/.markdown/.html/.htm/.txt files;
   * with an explicit format, a directory gives the files of that format only.
   */
  format?: InputFormat | 'auto';
  /** Source field names for ndjson/json/csv. Default: id, title, body, tags, date. */
  fields?: FieldMap;
  /** Strip HTML from the body field of ndjson/json/csv records (html-to-text). Default false. */
  html?: boolean;
  /**
   * Bytes. Files of a tree bigger than this are rejected without being read, and a record
   * of a stream (NDJSON line, JSON element, CSV record) is held in memory only up to
   * `maxRecordBytes`. Default 64 MiB (the engine's default maxDocBytes).
   */
  maxDocBytes?: number;
  /**
   * Bytes of one raw record (NDJSON line, JSON array element, CSV record) past which it is
   * skipped without being held and rejected. Default 2 × maxDocBytes: JSON escapes and
   * HTML markup make the raw record bigger than the document it becomes.
   */
  maxRecordBytes?: number;
  /** Accept integer ids (MySQL `article_id`) as decimal strings. Default true. */
  numericIds?: boolean;
  /** Ctrl-C: stops reading promptly (the generator throws an AbortError) and closes files. */
  signal?: AbortSignal;
}

/** A record that could not become a document, with its place in the input. */
export interface RejectedRecord {
  /** The input file (`<stdin>` for `-`); for a tree, the file's path. */
  file: string;
  /** 1-based line where the record starts; 0 for a whole file of a tree. */
  line: number;
  id: string | null;
  reason: string;
}

/**
 * One record of the inputs: a validated document or a rejected record. `bytes` is the
 * record's share of the input on disk (summing them tracks progress against inputSize).
 */
export type IngestItem =
  | { doc: DocInput; bodyUtf8: Uint8Array | null; file: string; line: number; bytes: number }
  | { rejected: RejectedRecord; bytes: number };

/** NDJSON lines passed on unparsed, a read chunk's worth (see readInputsRaw). */
export type RawIngestItem = { raws: { raw: Buffer; line: number }[]; file: string; bytes: number };

export const MiB = 2 ** 20;
export const DEFAULT_INPUT_MAX_DOC_BYTES = 64 * MiB;
