import type { IncomingMessage } from 'node:http';
import type { Access, KeyChecker } from './auth.js';
import { ApiError } from './errors.js';
import type { Registry } from './registry.js';

/** Limits and knobs the routes read. */
export interface ServeLimits {
  /** Largest request body, in bytes (documents uploads included). */
  maxPayloadBytes: number;
  /** A body that sends nothing for this long is cut off (408), in milliseconds. */
  bodyIdleTimeoutMs: number;
}

export interface ServeContext {
  registry: Registry;
  keys: KeyChecker | null;
  limits: ServeLimits;
  startedAt: Date;
  /** Directory of the built-in search page (src/serve/page). */
  pageDir: string;
}

export interface RequestContext {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  access: Access | null;
  app: ServeContext;
}

/** A JSON answer, or raw bytes with a content type (the search page). */
export type Reply = { status: number; body: unknown } | { status: number; raw: Buffer; contentType: string };

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** Which keys may call it: the search key only 'search' routes, /keys only the master key. */
  action: 'search' | 'keys' | 'other' | 'public';
  handle(ctx: RequestContext): Promise<Reply> | Reply;
}

interface Compiled {
  route: Route;
  parts: string[];
}

export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: Route[]) {
    this.compiled = routes.map((route) => ({ route, parts: route.path.split('/').filter((p) => p !== '') }));
  }

  /** The route for a request and its decoded parameters; 404 or 405 as Meilisearch answers them. */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } {
    const parts = pathname.split('/').filter((p) => p !== '');
    let pathMatched = false;
    for (const { route, parts: pattern } of this.compiled) {
      if (pattern.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < pattern.length && ok; i++) {
        const want = pattern[i] as string;
        const got = parts[i] as string;
        if (want.startsWith(':')) {
          try {
            params[want.slice(1)] = decodeURIComponent(got);
          } catch {
            throw new ApiError('bad_request', `Malformed percent-encoding in \`${got.slice(0, 100)}\`.`);
          }
        } else if (want !== got) ok = false;
      }
      if (!ok) continue;
      pathMatched = true;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
    }
    if (pathMatched) throw new ApiError('method_not_allowed', `Method ${method.slice(0, 20)} is not allowed on this route.`);
    throw new ApiError('not_found', 'Resource not found.');
  }
}

export function json(status: number, body: unknown): Reply {
  return { status, body };
}
