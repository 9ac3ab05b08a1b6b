import { EngineError } from './errors.js';
import type { Doc, DocInput } from './types.js';

/** LMDB keys are at most ~1.9 KB; ids stay well below. */
export const MAX_ID_BYTES = 512;

function fail(where: string, reason: string): never {
  throw new EngineError('E_INPUT', `${where}: ${reason}`, { detail: reason });
}

function optionalString(value: unknown, where: string, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail(where, `${field} must be a string, got ${typeof value}`);
  return value.toWellFormed();
}

/**
 * Checks a document at the library boundary and gives it its canonical shape. `where`
 * names it in errors ("document 17"); the id is added once known.
 */
export function validateDoc(input: unknown, where: string): { doc: DocInput; bodyUtf8: Uint8Array | null } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail(where, 'a document must be an object');
  const doc = input as Partial<Doc> & Record<string, unknown>;
  if (doc.id === undefined || doc.id === null) fail(where, 'missing id');
  if (typeof doc.id !== 'string') fail(where, `id must be a string, got ${typeof doc.id}`);
  const id = doc.id;
  const at = `${where} (id ${JSON.stringify(id)})`;
  if (id === '') fail(where, 'id is empty');
  if (!id.isWellFormed()) fail(at, 'id is not valid Unicode (lone surrogate)');
  if (Buffer.byteLength(id) > MAX_ID_BYTES) fail(where, `id is longer than ${MAX_ID_BYTES} bytes`);
  if (doc.body === undefined || doc.body === null) fail(at, 'missing body');
  // A body may also be given as UTF-8 bytes (a Buffer or Uint8Array), e.g. read from a file.
  const bodyUtf8 = doc.body instanceof Uint8Array ? doc.body : null;
  const body = bodyUtf8 === null ? optionalString(doc.body, at, 'body') : '';
  if (bodyUtf8 === null ? body.trim() === '' : bodyUtf8.length === 0) fail(at, 'empty body');
  const title = optionalString(doc.title, at, 'title');
  let tags: string[] = [];
  if (doc.tags !== undefined && doc.tags !== null) {
    if (!Array.isArray(doc.tags) || doc.tags.some((t) => typeof t !== 'string')) fail(at, 'tags must be an array of strings');
    tags = (doc.tags as string[]).map((t) => t.toWellFormed());
  }
  let date: string | number | null = null;
  if (doc.date !== undefined && doc.date !== null) {
    if (typeof doc.date !== 'string' && typeof doc.date !== 'number') fail(at, 'date must be a string or a number');
    if (typeof doc.date === 'number' && !Number.isFinite(doc.date)) fail(at, 'date must be a finite number');
    date = doc.date;
  }
  let fields: DocInput['fields'] = null;
  if (doc.fields !== undefined && doc.fields !== null) {
    if (typeof doc.fields !== 'object' || Array.isArray(doc.fields)) fail(at, 'fields must be an object');
    for (const [key, value] of Object.entries(doc.fields)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) fail(at, `fields.${key} must be a string, number or boolean`);
    }
    fields = doc.fields as DocInput['fields'];
  }
  return { doc: { id, title, body, tags, date, fields }, bodyUtf8 };
}

export function validateId(id: unknown, where: string): string {
  if (typeof id !== 'string' || id === '') fail(where, 'an id must be a non-empty string');
  return id;
}
