import { z } from 'zod';
import { ApiError, type ErrorCode } from './errors.js';

/** Longest `q` accepted: ruyi's own limit on query length is far below what a URL may carry. */
const MAX_Q_CHARS = 2048;
const names = z.array(z.string().max(512)).max(1000);

/**
 * The search parameters ruyi honours. Other Meilisearch parameters (matchingStrategy,
 * showRankingScore, vector, hybrid...) are accepted and ignored, so that widgets that
 * always send them keep working.
 */
export const searchSchema = z.looseObject({
  q: z.string().max(MAX_Q_CHARS).nullable().optional(),
  offset: z.int().min(0).optional(),
  limit: z.int().min(0).max(100_000).optional(),
  page: z.int().min(0).optional(),
  hitsPerPage: z.int().min(0).max(100_000).optional(),
  filter: z
    .union([z.string(), z.array(z.union([z.string(), z.array(z.string())]))])
    .nullable()
    .optional(),
  sort: names.nullable().optional(),
  facets: names.nullable().optional(),
  attributesToRetrieve: names.nullable().optional(),
  attributesToHighlight: names.nullable().optional(),
  attributesToCrop: names.nullable().optional(),
  cropLength: z.int().min(0).max(10_000).optional(),
  cropMarker: z.string().max(100).optional(),
  highlightPreTag: z.string().max(100).optional(),
  highlightPostTag: z.string().max(100).optional(),
  showMatchesPosition: z.boolean().optional(),
});

export type SearchParams = z.output<typeof searchSchema>;

const FIELD_CODES: Record<string, ErrorCode> = {
  q: 'invalid_search_q',
  offset: 'invalid_search_offset',
  limit: 'invalid_search_limit',
  page: 'invalid_search_page',
  hitsPerPage: 'invalid_search_hits_per_page',
  filter: 'invalid_search_filter',
  sort: 'invalid_search_sort',
  facets: 'invalid_search_facets',
  attributesToRetrieve: 'invalid_search_attributes_to_retrieve',
  attributesToHighlight: 'invalid_search_attributes_to_highlight',
  attributesToCrop: 'invalid_search_attributes_to_crop',
  cropLength: 'invalid_search_crop_length',
};

export function parseSearchParams(body: unknown): SearchParams {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new ApiError('bad_request', 'The search parameters must be a JSON object.');
  const parsed = searchSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? '');
  throw new ApiError(
    FIELD_CODES[field] ?? 'bad_request',
    `Invalid value at \`.${issue?.path.join('.') ?? ''}\`: ${issue?.message ?? 'invalid'}`,
  );
}

/** GET /search: the same parameters as query-string values (lists comma-separated). */
export function searchParamsFromQuery(query: URLSearchParams): SearchParams {
  const out: Record<string, unknown> = {};
  const ints = ['offset', 'limit', 'page', 'hitsPerPage', 'cropLength'];
  const lists = ['sort', 'facets', 'attributesToRetrieve', 'attributesToHighlight', 'attributesToCrop'];
  for (const [key, value] of query) {
    if (ints.includes(key)) out[key] = value.trim() === '' ? Number.NaN : Number(value);
    else if (lists.includes(key))
      out[key] = value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
    else if (key === 'showMatchesPosition') out[key] = value === 'true' ? true : value === 'false' ? false : value;
    else out[key] = value;
  }
  return parseSearchParams(out);
}
