/*
 * One table of error codes, as Meilisearch keeps them (meilisearch-types/src/error.rs):
 * each code has its HTTP status and type, and the link is derived from the code, so that
 * clients that switch on `code` (the official ones do) behave as they do against Meilisearch.
 */

type ErrorType = 'invalid_request' | 'internal' | 'auth' | 'system';

const TABLE = {
  bad_request: [400, 'invalid_request'],
  malformed_payload: [400, 'invalid_request'],
  missing_payload: [400, 'invalid_request'],
  invalid_content_type: [415, 'invalid_request'],
  payload_too_large: [413, 'invalid_request'],
  missing_authorization_header: [401, 'auth'],
  missing_master_key: [401, 'auth'],
  missing_content_type: [415, 'invalid_request'],
  invalid_api_key: [403, 'auth'],
  api_key_not_found: [404, 'invalid_request'],
  index_not_found: [404, 'invalid_request'],
  index_already_exists: [409, 'invalid_request'],
  invalid_index_uid: [400, 'invalid_request'],
  invalid_index_primary_key: [400, 'invalid_request'],
  index_primary_key_already_exists: [400, 'invalid_request'],
  index_primary_key_no_candidate_found: [400, 'invalid_request'],
  index_primary_key_multiple_candidates_found: [400, 'invalid_request'],
  missing_document_id: [400, 'invalid_request'],
  invalid_document_id: [400, 'invalid_request'],
  invalid_document_fields: [400, 'invalid_request'],
  invalid_document_offset: [400, 'invalid_request'],
  invalid_document_limit: [400, 'invalid_request'],
  document_not_found: [404, 'invalid_request'],
  invalid_search_q: [400, 'invalid_request'],
  invalid_search_filter: [400, 'invalid_request'],
  invalid_search_sort: [400, 'invalid_request'],
  invalid_search_facets: [400, 'invalid_request'],
  invalid_search_offset: [400, 'invalid_request'],
  invalid_search_limit: [400, 'invalid_request'],
  invalid_search_page: [400, 'invalid_request'],
  invalid_search_hits_per_page: [400, 'invalid_request'],
  invalid_search_attributes_to_retrieve: [400, 'invalid_request'],
  invalid_search_attributes_to_highlight: [400, 'invalid_request'],
  invalid_search_attributes_to_crop: [400, 'invalid_request'],
  invalid_search_crop_length: [400, 'invalid_request'],
  invalid_multi_search_queries: [400, 'invalid_request'],
  invalid_settings: [400, 'invalid_request'],
  invalid_task_uids: [400, 'invalid_request'],
  invalid_task_statuses: [400, 'invalid_request'],
  invalid_task_types: [400, 'invalid_request'],
  invalid_task_limit: [400, 'invalid_request'],
  invalid_task_from: [400, 'invalid_request'],
  invalid_task_index_uids: [400, 'invalid_request'],
  task_not_found: [404, 'invalid_request'],
  not_found: [404, 'invalid_request'],
  method_not_allowed: [405, 'invalid_request'],
  too_many_requests: [503, 'system'],
  shutting_down: [503, 'system'],
  // ruyi's own: a cluster index (README "Past one machine") none of whose nodes answered.
  cluster_unavailable: [503, 'system'],
  request_timeout: [408, 'invalid_request'],
  index_creation_failed: [500, 'internal'],
  internal: [500, 'internal'],
} as const satisfies Record<string, readonly [number, ErrorType]>;

export type ErrorCode = keyof typeof TABLE;

/** The body every error response carries. */
export interface ErrorBody {
  message: string;
  code: ErrorCode;
  type: ErrorType;
  link: string;
}

/** An error meant for the client: thrown anywhere below a route, answered by the server. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return TABLE[this.code][0];
  }

  body(): ErrorBody {
    return errorBody(this.code, this.message);
  }
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { message, code, type: TABLE[code][1], link: `https://docs.meilisearch.com/errors#${code}` };
}

export function statusOf(code: ErrorCode): number {
  return TABLE[code][0];
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
