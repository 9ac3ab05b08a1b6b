import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ApiError } from '../errors.js';
import type { Reply, RequestContext, Route } from '../router.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};
/** Plain file names only: no directories, no dot files, so nothing outside the page directory is reachable. */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

async function file(ctx: RequestContext, name: string): Promise<Reply> {
  if (!SAFE_NAME.test(name) || name.includes('..')) throw new ApiError('not_found', 'Resource not found.');
  try {
    const raw = await readFile(join(ctx.app.pageDir, name));
    return { status: 200, raw, contentType: TYPES[extname(name)] ?? 'application/octet-stream' };
  } catch {
    throw new ApiError('not_found', 'Resource not found.');
  }
}

/** The built-in search page (src/serve/page): index.html at `/`, its other files at `/_page/<name>`. */
export const pageRoutes: Route[] = [
  { method: 'GET', path: '/', action: 'public', handle: (ctx) => file(ctx, 'index.html') },
  { method: 'GET', path: '/_page/:name', action: 'public', handle: (ctx) => file(ctx, ctx.params.name as string) },
];
