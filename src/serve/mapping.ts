import type { Doc } from '../index.js';
import { ApiError } from './errors.js';
import type { JsonObject } from './filter-eval.js';
import type { IndexSettings } from './settings.js';

const TITLE_CANDIDATES = ['title', 'name', 'subject'];
const BODY_CANDIDATES = ['content', 'body', 'text', 'markdown', 'description'];
/** Meilisearch's rule for document ids: an integer, or 1-511 bytes of a-z A-Z 0-9 - _. */
const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
const MAX_ID_BYTES = 511;
/** ruyi needs an ISO date or a timestamp; anything else stays in the document but is not ruyi's `date`. */
const ISO_DATE = /^\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$/;

/**
 * The primary key of a first document as Meilisearch infers it: the one attribute whose
 * name ends in "id" (case-insensitive); none or several is an error.
 */
export function inferPrimaryKey(doc: JsonObject): string {
  const candidates = Object.keys(doc).filter((k) => k.toLowerCase().endsWith('id'));
  if (candidates.length === 1) return candidates[0] as string;
  if (candidates.length === 0)
    throw new ApiError(
      'index_primary_key_no_candidate_found',
      'The primary key inference failed as the engine did not find any field ending with `id` in its name. Please specify the primary key manually using the `primaryKey` query parameter.',
    );
  throw new ApiError(
    'index_primary_key_multiple_candidates_found',
    `The primary key inference failed as the engine found ${candidates.length} fields ending with \`id\` in their names: '${candidates.join("' and '")}'. Please specify the primary key manually using the \`primaryKey\` query parameter.`,
  );
}

/** The document's id as a string, or the Meilisearch error for a missing or malformed one. */
export function documentId(doc: JsonObject, primaryKey: string): string {
  const raw = doc[primaryKey];
  if (raw === undefined || raw === null)
    throw new ApiError('missing_document_id', `Document doesn't have a \`${primaryKey}\` attribute: \`${truncate(JSON.stringify(doc))}\`.`);
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return String(raw);
  if (typeof raw === 'string' && ID_PATTERN.test(raw) && Buffer.byteLength(raw) <= MAX_ID_BYTES) return raw;
  throw new ApiError(
    'invalid_document_id',
    `Document identifier \`${truncate(JSON.stringify(raw))}\` is invalid. A document identifier can be of type integer or string, only composed of alphanumeric characters (a-z A-Z 0-9), hyphens (-) and underscores (_), and can not be more than 511 bytes.`,
  );
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

export function titleAttributeOf(doc: JsonObject, settings: IndexSettings): string | null {
  if (settings.titleAttribute !== null) return settings.titleAttribute;
  return TITLE_CANDIDATES.find((k) => typeof doc[k] === 'string') ?? null;
}

/** The attributes searched, in order: the body candidates first, then every other one. */
function searchedAttributes(doc: JsonObject, settings: IndexSettings): string[] {
  if (!settings.searchableAttributes.includes('*')) return settings.searchableAttributes;
  const keys = Object.keys(doc);
  return [...BODY_CANDIDATES.filter((k) => keys.includes(k)), ...keys.filter((k) => !BODY_CANDIDATES.includes(k))];
}

/**
 * The ruyi document for a Meilisearch one: the title attribute is ruyi's title, the other
 * searchable strings (nested ones too) make the body; `tags` and `date` keep ruyi's
 * meaning. The original JSON is kept apart (DocStore), so nothing else is needed here.
 */
export function toRuyiDoc(id: string, doc: JsonObject, primaryKey: string, settings: IndexSettings): Doc {
  const titleKey = titleAttributeOf(doc, settings);
  const titleAllowed =
    titleKey !== null && (settings.searchableAttributes.includes('*') || settings.searchableAttributes.includes(titleKey));
  const title = titleAllowed ? strings(doc[titleKey as string]).join(' ') : '';
  const parts: string[] = [];
  for (const key of searchedAttributes(doc, settings)) {
    if (key === titleKey || key === primaryKey) continue;
    parts.push(...strings(doc[key]));
  }
  let body = parts.filter((p) => p.trim() !== '').join('\n');
  // ruyi refuses an empty body: a document with nothing else to search is found by its title, or its id.
  if (body === '') body = title.trim() !== '' ? title : id;
  const out: Doc = { id, title, body };
  const tags = doc.tags;
  if (Array.isArray(tags)) out.tags = tags.filter((t): t is string => typeof t === 'string');
  else if (typeof tags === 'string') out.tags = [tags];
  const date = doc.date;
  if (typeof date === 'number' && Number.isFinite(date)) out.date = date;
  else if (typeof date === 'string' && ISO_DATE.test(date)) out.date = date;
  return out;
}
