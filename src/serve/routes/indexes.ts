import { z } from 'zod';
import { ApiError } from '../errors.js';
import { readJsonBody } from '../http-body.js';
import { checkUid, type IndexRecord } from '../registry.js';
import type { RequestContext, Route } from '../router.js';
import { accepted, intParam } from './task-reply.js';

const createSchema = z.strictObject({ uid: z.string(), primaryKey: z.string().min(1).max(512).nullable().optional() });
const updateSchema = z.strictObject({ primaryKey: z.string().min(1).max(512).nullable().optional() });

export function publicIndex(r: IndexRecord) {
  return { uid: r.uid, primaryKey: r.primaryKey, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

export async function jsonBody(ctx: RequestContext): Promise<unknown> {
  const { limits } = ctx.app;
  return readJsonBody(ctx.req, limits.maxPayloadBytes, limits.bodyIdleTimeoutMs);
}

function bad(code: 'bad_request' | 'invalid_index_primary_key', error: z.ZodError): never {
  const issue = error.issues[0];
  throw new ApiError(
    code,
    issue?.code === 'unrecognized_keys'
      ? `Unknown field(s): ${issue.keys.join(', ')}`
      : `Invalid value at \`.${issue?.path.join('.')}\`: ${issue?.message}`,
  );
}

export const indexRoutes: Route[] = [
  {
    method: 'GET',
    path: '/indexes',
    action: 'other',
    handle: ({ app, url }) => {
      const fail = (m: string): never => {
        throw new ApiError('bad_request', m);
      };
      const offset = intParam(url, 'offset', 0, fail);
      const limit = intParam(url, 'limit', 20, fail);
      const all = app.registry.list();
      return { status: 200, body: { results: all.slice(offset, offset + limit).map(publicIndex), offset, limit, total: all.length } };
    },
  },
  {
    method: 'POST',
    path: '/indexes',
    action: 'other',
    handle: async (ctx) => {
      const parsed = createSchema.safeParse(await jsonBody(ctx));
      if (!parsed.success) bad('bad_request', parsed.error);
      checkUid(parsed.data.uid);
      const task = ctx.app.registry.enqueue({
        indexUid: parsed.data.uid,
        type: 'indexCreation',
        details: { primaryKey: parsed.data.primaryKey ?? null },
        payload: { kind: 'createIndex', primaryKey: parsed.data.primaryKey ?? null },
      });
      return accepted(task);
    },
  },
  {
    method: 'GET',
    path: '/indexes/:uid',
    action: 'other',
    handle: ({ app, params }) => ({ status: 200, body: publicIndex(app.registry.require(params.uid as string)) }),
  },
  {
    method: 'PATCH',
    path: '/indexes/:uid',
    action: 'other',
    handle: async (ctx) => {
      const parsed = updateSchema.safeParse(await jsonBody(ctx));
      if (!parsed.success) bad('invalid_index_primary_key', parsed.error);
      const uid = ctx.params.uid as string;
      ctx.app.registry.require(uid);
      const primaryKey = parsed.data.primaryKey ?? null;
      return accepted(
        ctx.app.registry.enqueue({
          indexUid: uid,
          type: 'indexUpdate',
          details: { primaryKey },
          payload: { kind: 'updateIndex', primaryKey },
        }),
      );
    },
  },
  {
    method: 'DELETE',
    path: '/indexes/:uid',
    action: 'other',
    handle: ({ app, params }) => {
      const uid = params.uid as string;
      checkUid(uid);
      return accepted(
        app.registry.enqueue({
          indexUid: uid,
          type: 'indexDeletion',
          details: { deletedDocuments: null },
          payload: { kind: 'deleteIndex' },
        }),
      );
    },
  },
];
