import { ApiError } from '../errors.js';
import type { Route } from '../router.js';

/** The default keys only: creating, changing and deleting keys is not supported (there is nothing to store). */
export const keyRoutes: Route[] = [
  {
    method: 'GET',
    path: '/keys',
    action: 'keys',
    handle: ({ app }) => {
      const keys = app.keys?.keys ?? [];
      return { status: 200, body: { results: keys, offset: 0, limit: 20, total: keys.length } };
    },
  },
  {
    method: 'GET',
    path: '/keys/:key',
    action: 'keys',
    handle: ({ app, params }) => {
      const key = app.keys?.keys.find((k) => k.key === params.key || k.uid === params.key);
      if (key === undefined) throw new ApiError('api_key_not_found', `API key \`${(params.key as string).slice(0, 100)}\` not found.`);
      return { status: 200, body: key };
    },
  },
];
