import { z } from 'zod';
import { ApiError } from '../errors.js';
import type { RequestContext, Route } from '../router.js';
import { searchIndex } from '../search-exec.js';
import { parseSearchParams, type SearchParams, searchParamsFromQuery } from '../search-params.js';
import { jsonBody } from './indexes.js';

/** More queries than this in one multi-search are refused: each may scan every match. */
const MAX_MULTI_QUERIES = 100;

async function run(ctx: RequestContext, uid: string, params: SearchParams): Promise<Record<string, unknown>> {
  const record = ctx.app.registry.require(uid);
  return searchIndex(uid, record, await ctx.app.registry.open(uid), params);
}

function single(result: Record<string, unknown>): Record<string, unknown> {
  const { indexUid: _uid, ...rest } = result;
  return rest;
}

const multiSchema = z.object({
  queries: z.array(z.looseObject({ indexUid: z.string() })).max(MAX_MULTI_QUERIES),
  federation: z.unknown().optional(),
});

export const searchRoutes: Route[] = [
  {
    method: 'POST',
    path: '/indexes/:uid/search',
    action: 'search',
    handle: async (ctx) => ({
      status: 200,
      body: single(await run(ctx, ctx.params.uid as string, parseSearchParams(await jsonBody(ctx)))),
    }),
  },
  {
    method: 'GET',
    path: '/indexes/:uid/search',
    action: 'search',
    handle: async (ctx) => ({
      status: 200,
      body: single(await run(ctx, ctx.params.uid as string, searchParamsFromQuery(ctx.url.searchParams))),
    }),
  },
  {
    method: 'POST',
    path: '/multi-search',
    action: 'search',
    handle: async (ctx) => {
      const parsed = multiSchema.safeParse(await jsonBody(ctx));
      if (!parsed.success)
        throw new ApiError(
          'invalid_multi_search_queries',
          `Invalid value at \`.${parsed.error.issues[0]?.path.join('.')}\`: ${parsed.error.issues[0]?.message}`,
        );
      if (parsed.data.federation !== undefined && parsed.data.federation !== null)
        throw new ApiError('bad_request', 'Federated multi-search is not supported by this server.');
      const results: Record<string, unknown>[] = [];
      for (const [i, query] of parsed.data.queries.entries()) {
        const { indexUid, ...params } = query;
        try {
          results.push(await run(ctx, indexUid, parseSearchParams(params)));
        } catch (err) {
          // Meilisearch names the failing query in the message.
          if (err instanceof ApiError) throw new ApiError(err.code, `Inside \`.queries[${i}]\`: ${err.message}`);
          throw err;
        }
      }
      return { status: 200, body: { results } };
    },
  },
];
