import { createRequire } from 'node:module';
import type { Analyzer } from '../analysis/analyzer.js';
import { normalizeText } from '../analysis/normalize.js';
import { storedDateMs } from '../search/date-range.js';
import type { DocInput } from '../types.js';
import { BIGINT_ATTRS, FIELDS, STRING_ATTRS, UINT_ATTRS } from './cluster-config.js';
import { dateKeys } from './date-keys.js';
import { contentVersion, idLiteral, sphinxId } from './doc-ids.js';
import { ALL_MARK, encodeTerm, STOP_MARK } from './term-codec.js';

/** mysql2 is loaded by the first cluster write, not by every process that imports ruyi (~17 MB, ~0.1-0.3 s). */
let sqlEscape: ((value: string) => string) | null = null;
function mysqlEscape(value: string): string {
  sqlEscape ??= (createRequire(import.meta.url)('mysql2') as typeof import('mysql2')).escape;
  return sqlEscape(value);
}

/** A tag as a keyword of the `tags` field: a namespace of its own (a control character, as ruyi's tag terms), so no word equals it. */
export function tagTerm(tag: string): string {
  return `\u0001${tag.normalize('NFKC').toLowerCase().trim()}`;
}

/** Columns of REPLACE, in the order of a row's values. */
export const COLUMNS = ['id', ...FIELDS, ...STRING_ATTRS, ...BIGINT_ATTRS, ...UINT_ATTRS] as const;

/**
 * Sphinx 2.2.11 cuts a string attribute at 2 MiB without an error (measured: a 30 MB value
 * came back as 2,097,152 bytes). The stored body is the largest; a document whose stored body
 * would not fit is refused (or cut, with truncateLongDocs) instead of silently cut.
 */
export const MAX_STRING_ATTR_BYTES = 2 * 1024 * 1024 - 1;

/**
 * Text as stored in a string attribute: JSON, with characters outside the Basic Multilingual
 * Plane as \u escapes too. Sphinx's SphinxQL strings keep neither NUL (`\0` comes back as
 * `0`), `\Z`, nor 4-byte UTF-8 (an emoji came back as four replacement characters); JSON
 * escapes every control character and this the rest, so whatever a document holds comes back
 * exactly.
 */
export function storedText(value: unknown): string {
  return JSON.stringify(value ?? null).replace(/[\u{10000}-\u{10FFFF}]/gu, (ch) =>
    [ch.charCodeAt(0), ch.charCodeAt(1)].map((u) => `\\u${u.toString(16)}`).join(''),
  );
}

/** A document as one row: its shard's key, its values as SQL, and their size. */
export interface DocRow {
  rid: string;
  id: string;
  /** `(id, 'title terms', ...)`: every string escaped by mysql2, ready for `REPLACE INTO s VALUES`. */
  values: string;
  bytes: number;
}

/**
 * The keywords of a text: one per word of jieba's precise cut, in order (STOP_MARK for a stop
 * word, so positions match ruyi's), and the word's sub-words and readings apart (`sub`): ruyi
 * indexes those at the word's own position, which Sphinx cannot, so they live in a field of
 * their own where they are found as words but never break a phrase of the main field.
 */
export function keywordsOf(analyzer: Analyzer, text: string): { main: string; sub: string } {
  const main: string[] = [];
  const sub: string[] = [];
  for (const words of analyzer.wordChunks(text)) {
    analyzer.prepareWords(words);
    for (const word of words) {
      const terms = analyzer.indexTermsOf(word);
      if (terms === null) {
        main.push(STOP_MARK);
        continue;
      }
      main.push(encodeTerm(terms[0] as string));
      for (let i = 1; i < terms.length; i++) sub.push(encodeTerm(terms[i] as string));
    }
  }
  return { main: main.join(' '), sub: sub.join(' ') };
}

/** Title characters indexed at most (titles are short; this bounds a pathological one). */
const MAX_TITLE_CHARS = 512;
const TITLE_TOKEN = /\p{Script=Han}|[\p{L}\p{N}]+/gu;

/**
 * A text as the keywords of the `tchars` field: each Han character alone, each run of other
 * letters and digits as one, punctuation and spaces dropped. A phrase of them finds the
 * text inside a title whatever jieba made of either: ruyi's rule that a title containing
 * the query (letters and digits compared) ranks high, and finds `满江红 绣 线` in 满江红绣线
 * or `霖 铃` in 雨霖铃 (single characters a word index cannot find inside longer words).
 */
export function titleChars(text: string): string[] {
  return (normalizeText(text.slice(0, MAX_TITLE_CHARS)).match(TITLE_TOKEN) ?? []).map(encodeTerm);
}

/** The one keyword of the `texact` field: the whole title's letters and digits, so that a title exactly the query ranks first. */
export function exactTitleKey(text: string): string {
  return encodeTerm(`\u0004${(normalizeText(text.slice(0, MAX_TITLE_CHARS)).match(TITLE_TOKEN) ?? []).join(' ')}`);
}

/**
 * The row of a validated document; throws a message (the caller names the document) when it
 * cannot be stored whole. `loadId` marks the run that wrote it (see ClusterWriter.sweep).
 */
export function docRow(analyzer: Analyzer, doc: DocInput, truncate: boolean, loadId: number): DocRow {
  let body = doc.body;
  let bdy = storedText(body);
  if (Buffer.byteLength(bdy) > MAX_STRING_ATTR_BYTES) {
    if (!truncate) throw new Error(`body over ${MAX_STRING_ATTR_BYTES + 1} bytes stored (the most a Sphinx 2.2 string attribute holds)`);
    while (Buffer.byteLength(bdy) > MAX_STRING_ATTR_BYTES) {
      body = body.slice(0, Math.floor(body.length * 0.9));
      bdy = storedText(body);
    }
  }
  const title = keywordsOf(analyzer, doc.title);
  const text = keywordsOf(analyzer, body);
  const tags = [ALL_MARK, ...new Set(doc.tags.map((t) => encodeTerm(tagTerm(t))))].join(' ');
  const ms = storedDateMs(doc.date);
  const dated = Number.isFinite(ms) ? 1 : 0;
  const id = sphinxId(doc.id);
  const ver = contentVersion([doc.id, doc.title, body, doc.tags, doc.date, doc.fields]);
  const strings = [
    title.main,
    text.main,
    title.sub,
    text.sub,
    tags,
    titleChars(doc.title).join(' '),
    exactTitleKey(doc.title),
    dateKeys(ms).join(' '),
    storedText(doc.id),
    storedText(doc.title),
    bdy,
    storedText(doc.tags),
    storedText(doc.date),
    storedText(doc.fields),
  ];
  const values = `(${idLiteral(id)},${strings.map((s) => mysqlEscape(s)).join(',')},${dated ? Math.trunc(ms) : 0},${ver},${Math.trunc(loadId)},${dated})`;
  return { rid: doc.id, id, values, bytes: Buffer.byteLength(values) };
}
