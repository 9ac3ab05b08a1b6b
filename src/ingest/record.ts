import { EngineError } from '../errors.js';
import type { DocInput } from '../types.js';
import { validateDoc } from '../validate.js';
import type { FieldMap } from './types.js';

export interface RecordOptions {
  fields?: FieldMap | undefined;
  /** Strip HTML from the body, with `stripHtml` (html-to-text, loaded only when asked for). */
  html?: boolean | undefined;
  stripHtml?: ((html: string) => string) | undefined;
  /** Accept safe-integer ids as their decimal string. Default true (false: the first CLI's rule). */
  numericIds?: boolean | undefined;
}

function fail(where: string, reason: string): never {
  throw new EngineError('E_INPUT', `${where}: ${reason}`, { detail: reason });
}

function own(record: Record<string, unknown>, key: string): unknown {
  // Object.hasOwn: a column named "constructor" must not find Object.prototype's.
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * An id as a string. Numbers are accepted when they are safe integers (MySQL ids) and become
 * their decimal string; a larger number has lost digits in JSON.parse, so it is refused.
 */
export function normalizeId(value: unknown, where: string): unknown {
  let id = value;
  if (typeof id === 'number') {
    if (!Number.isInteger(id)) fail(where, `id must be a string or an integer, got ${id}`);
    if (!Number.isSafeInteger(id)) fail(where, `id ${id} is beyond 2^53 and lost digits when parsed; quote it`);
    id = String(id);
  }
  if (typeof id === 'string') {
    const control = CONTROL.exec(id);
    if (control !== null) {
      const code = (control[0].codePointAt(0) as number).toString(16).padStart(4, '0').toUpperCase();
      fail(where, `id contains a control character (U+${code})`);
    }
  }
  return id;
}

/** Tags as an array: a string is split on , ; or | (CSV cells, front matter `tags: a, b`). */
export function normalizeTags(value: unknown): unknown {
  if (typeof value === 'string') {
    return value
      .split(/[,;|]/)
      .map((t) => t.trim())
      .filter((t) => t !== '');
  }
  if (Array.isArray(value)) return value.map((t) => (typeof t === 'number' && Number.isFinite(t) ? String(t) : t));
  return value;
}

/** A date as the engine stores it: YAML Date objects become ISO strings; strings and numbers are kept. */
export function normalizeDate(value: unknown, where: string): unknown {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail(where, 'date is not a valid date');
    return value.toISOString();
  }
  return value;
}

function normalizeTitle(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
}

/**
 * Maps one source record (a parsed JSON object, a CSV row, front matter + body) to a
 * validated document. `largeBody` is a body already decoded to UTF-8 bytes (a huge line),
 * which replaces the body field. Throws EngineError E_INPUT with `detail` = the reason.
 */
export function recordToDoc(
  value: unknown,
  where: string,
  o: RecordOptions,
  largeBody: Uint8Array | null = null,
): { doc: DocInput; bodyUtf8: Uint8Array | null } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'a document must be an object');
  const record = value as Record<string, unknown>;
  const f = o.fields ?? {};
  const given = own(record, f.id ?? 'id');
  const id = o.numericIds === false && typeof given === 'number' ? given : normalizeId(given, where);
  const at = typeof id === 'string' ? `${where} (id ${JSON.stringify(id)})` : where;
  let body: unknown = largeBody ?? own(record, f.body ?? 'body');
  if (o.html && body !== undefined && body !== null) {
    if (o.stripHtml === undefined) throw new EngineError('E_CONFIG', 'html: true needs stripHtml (readInputs provides it)');
    if (body instanceof Uint8Array) body = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    if (typeof body === 'string') body = o.stripHtml(body);
  }
  const mapped: Record<string, unknown> = {
    id,
    title: normalizeTitle(own(record, f.title ?? 'title')),
    body,
    tags: normalizeTags(own(record, f.tags ?? 'tags')),
    date: normalizeDate(own(record, f.date ?? 'date'), at),
    fields: own(record, 'fields'),
  };
  return validateDoc(mapped, where);
}

/** The id of a record for a rejection report, when it has a usable one. */
export function recordId(value: unknown, fields: FieldMap | undefined): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const id = own(value as Record<string, unknown>, fields?.id ?? 'id');
  if (typeof id === 'string') return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  return null;
}
