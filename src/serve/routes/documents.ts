import { ApiError } from '../errors.js';
import { type JsonObject, matchesFilter } from '../filter-eval.js';
import { parseFilter } from '../filter-parser.js';
import { bodyChunks, documentFormat, parseDocuments, spoolDocuments } from '../http-body.js';
import { checkUid } from '../registry.js';
import type { RequestContext, Route } from '../router.js';
import { jsonBody } from './indexes.js';
import { accepted, intParam } from './task-reply.js';

/**
 * An upload is parsed as it arrives and spooled to disk as NDJSON (bounded memory, and a
 * malformed body is refused before anything is written); the task then streams the spool
 * into ruyi in order behind the index's other tasks.
 */
async function upload(ctx: RequestContext, method: 'replace' | 'update') {
  const uid = ctx.params.uid as string;
  checkUid(uid);
  const format = documentFormat(ctx.req);
  const primaryKey = ctx.url.searchParams.get('primaryKey');
  const { registry, limits } = ctx.app;
  if (ctx.req.headers['content-length'] === '0') throw new ApiError('missing_payload', `A ${format} payload is missing.`);
  const chunks = bodyChunks(ctx.req, limits.maxPayloadBytes, limits.bodyIdleTimeoutMs);
  const { file, count } = await spoolDocuments(parseDocuments(format, chunks, limits.maxPayloadBytes), registry.spoolDir);
  const task = registry.enqueue({
    indexUid: uid,
    type: 'documentAdditionOrUpdate',
    details: { receivedDocuments: count, indexedDocuments: null },
    payload: { kind: 'documents', file, method, primaryKey: primaryKey === '' ? null : primaryKey },
  });
  return accepted(task);
}

function fieldsOf(ctx: RequestContext, fromBody?: unknown): string[] | null {
  if (Array.isArray(fromBody)) return fromBody.map(String);
  const raw = ctx.url.searchParams.get('fields');
  if (raw === null || raw.trim() === '' || raw.trim() === '*') return null;
  return raw.split(',').map((f) => f.trim());
}

function pick(doc: JsonObject, fields: string[] | null): JsonObject {
  if (fields === null || fields.includes('*')) return doc;
  return Object.fromEntries(fields.filter((f) => Object.hasOwn(doc, f)).map((f) => [f, doc[f]]));
}

async function listDocuments(ctx: RequestContext, body: { offset?: unknown; limit?: unknown; fields?: unknown; filter?: unknown }) {
  const uid = ctx.params.uid as string;
  ctx.app.registry.require(uid);
  const { docs } = await ctx.app.registry.open(uid);
  const failOffset = (m: string): never => {
    throw new ApiError('invalid_document_offset', m);
  };
  const failLimit = (m: string): never => {
    throw new ApiError('invalid_document_limit', m);
  };
  const offset = body.offset === undefined ? intParam(ctx.url, 'offset', 0, failOffset) : Number(body.offset);
  const limit = body.limit === undefined ? intParam(ctx.url, 'limit', 20, failLimit) : Number(body.limit);
  if (!Number.isSafeInteger(offset) || offset < 0) failOffset('`offset` must be a positive integer.');
  if (!Number.isSafeInteger(limit) || limit < 0) failLimit('`limit` must be a positive integer.');
  const fields = fieldsOf(ctx, body.fields);
  const filter = parseFilter(body.filter ?? ctx.url.searchParams.get('filter') ?? undefined);
  let results: JsonObject[];
  let total: number;
  if (filter === null) {
    total = docs.count();
    results = [...docs.range(offset, limit)].map(({ text }) => pick(JSON.parse(text) as JsonObject, fields));
  } else {
    results = [];
    total = 0;
    for (const { text } of docs.range()) {
      const doc = JSON.parse(text) as JsonObject;
      if (!matchesFilter(doc, filter)) continue;
      if (total >= offset && results.length < limit) results.push(pick(doc, fields));
      total++;
    }
  }
  return { status: 200, body: { results, offset, limit, total } };
}

export const documentRoutes: Route[] = [
  { method: 'POST', path: '/indexes/:uid/documents', action: 'other', handle: (ctx) => upload(ctx, 'replace') },
  { method: 'PUT', path: '/indexes/:uid/documents', action: 'other', handle: (ctx) => upload(ctx, 'update') },
  { method: 'GET', path: '/indexes/:uid/documents', action: 'other', handle: (ctx) => listDocuments(ctx, {}) },
  {
    method: 'POST',
    path: '/indexes/:uid/documents/fetch',
    action: 'other',
    handle: async (ctx) => {
      const body = await jsonBody(ctx);
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        throw new ApiError('bad_request', 'The body must be a JSON object.');
      return listDocuments(ctx, body as Record<string, unknown>);
    },
  },
  {
    method: 'GET',
    path: '/indexes/:uid/documents/:id',
    action: 'other',
    handle: async (ctx) => {
      const uid = ctx.params.uid as string;
      ctx.app.registry.require(uid);
      const { docs } = await ctx.app.registry.open(uid);
      const doc = docs.get(ctx.params.id as string);
      if (doc === undefined) throw new ApiError('document_not_found', `Document \`${ctx.params.id}\` not found.`);
      return { status: 200, body: pick(doc, fieldsOf(ctx)) };
    },
  },
  {
    method: 'DELETE',
    path: '/indexes/:uid/documents/:id',
    action: 'other',
    handle: ({ app, params }) => {
      const uid = params.uid as string;
      checkUid(uid);
      const ids = [params.id as string];
      return accepted(
        app.registry.enqueue({
          indexUid: uid,
          type: 'documentDeletion',
          details: { providedIds: 1, deletedDocuments: null },
          payload: { kind: 'deleteDocuments', ids },
        }),
      );
    },
  },
  {
    method: 'POST',
    path: '/indexes/:uid/documents/delete-batch',
    action: 'other',
    handle: async (ctx) => {
      const uid = ctx.params.uid as string;
      checkUid(uid);
      const body = await jsonBody(ctx);
      if (!Array.isArray(body) || body.some((id) => typeof id !== 'string' && typeof id !== 'number'))
        throw new ApiError('bad_request', 'Invalid value type: expected an array of document ids (strings or integers).');
      const ids = body.map(String);
      return accepted(
        ctx.app.registry.enqueue({
          indexUid: uid,
          type: 'documentDeletion',
          details: { providedIds: ids.length, deletedDocuments: null },
          payload: { kind: 'deleteDocuments', ids },
        }),
      );
    },
  },
  {
    method: 'POST',
    path: '/indexes/:uid/documents/delete',
    action: 'other',
    handle: async (ctx) => {
      const uid = ctx.params.uid as string;
      checkUid(uid);
      const body = (await jsonBody(ctx)) as { filter?: unknown } | null;
      if (body === null || typeof body !== 'object' || body.filter === undefined)
        throw new ApiError('bad_request', 'Missing field `filter`: expected { "filter": ... }.');
      // Parsed now so that a malformed filter is a 400, not a failed task.
      parseFilter(body.filter);
      return accepted(
        ctx.app.registry.enqueue({
          indexUid: uid,
          type: 'documentDeletion',
          details: { providedIds: 0, deletedDocuments: null, originalFilter: JSON.stringify(body.filter) },
          payload: { kind: 'deleteDocuments', filter: body.filter },
        }),
      );
    },
  },
  {
    method: 'DELETE',
    path: '/indexes/:uid/documents',
    action: 'other',
    handle: ({ app, params }) => {
      const uid = params.uid as string;
      checkUid(uid);
      return accepted(
        app.registry.enqueue({
          indexUid: uid,
          type: 'documentDeletion',
          details: { providedIds: 0, deletedDocuments: null },
          payload: { kind: 'deleteDocuments', all: true },
        }),
      );
    },
  },
];
