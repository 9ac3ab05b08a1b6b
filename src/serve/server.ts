import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { EngineError, type IndexOptions, isEngineError } from '../index.js';
import { QUERY_ANALYZER_BYTES, resolveOptions } from '../config.js';
import { createLogger } from './access-log.js';
import { KeyChecker, permits } from './auth.js';
import { ApiError, errorBody, statusOf } from './errors.js';
import { tooLarge } from './http-body.js';
import { Registry } from './registry.js';
import { type Reply, Router, type ServeContext } from './router.js';
import { documentRoutes } from './routes/documents.js';
import { healthRoutes } from './routes/health.js';
import { indexRoutes } from './routes/indexes.js';
import { keyRoutes } from './routes/keys.js';
import { pageRoutes } from './routes/page.js';
import { searchRoutes } from './routes/search.js';
import { settingsRoutes } from './routes/settings.js';
import { taskRoutes } from './routes/tasks.js';
import { runTask } from './task-runner.js';

/** Meilisearch's default payload limit. */
/**
 * A server's own working memory past the process's fixed cost: requests being parsed and
 * answered (a page of hits with their documents), the document store's queued writes
 * (MAX_QUEUED_STORE_CHARS) and V8's slack for them.
 */
export const SERVE_WORK_BYTES = 24 * 2 ** 20;
/** What a server keeps of its budget besides indexing (IndexOptions.hostBytes). */
export const SERVE_HOST_BYTES = QUERY_ANALYZER_BYTES + SERVE_WORK_BYTES;
export const DEFAULT_MAX_PAYLOAD_BYTES = 100 * 2 ** 20;
export const DEFAULT_PORT = 7700;
export const DEFAULT_MAX_DOCUMENT_BYTES = 4 * 2 ** 20;

export interface ServeOptions {
  /** The data directory: one ruyi index per index uid, plus the server's own `.serve/`. */
  db: string;
  /** Address to bind. Default 127.0.0.1; anything but loopback requires `masterKey`. */
  host?: string;
  /** Port (0 picks a free one). Default 7700. */
  port?: number;
  /** With a key, every route but /health and the page needs `Authorization: Bearer <key>`. */
  masterKey?: string;
  /** Largest request body in bytes (413 beyond, without reading the rest). Default 100 MiB. */
  maxPayloadBytes?: number;
  /**
   * Largest single document of an upload, bytes of JSON (400 malformed_payload beyond).
   * Default 4 MiB: each document is parsed whole on the main thread, whose heap the bin
   * keeps at 64 MB.
   */
  maxDocumentBytes?: number;
  /** Requests handled at once; more get 503. Default 256. */
  maxConcurrentRequests?: number;
  /** Time to receive a request's headers (slowloris), ms. Default 10 000. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included, ms. Default 300 000 (a 100 MB upload on a slow link). */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this, ms. Default 5 000. */
  keepAliveTimeoutMs?: number;
  /** A request body that sends nothing for this long is cut off (408), ms. Default 30 000. */
  bodyIdleTimeoutMs?: number;
  /** How often Node checks the headers and request timeouts, ms. Default 1 000. */
  timeoutCheckIntervalMs?: number;
  /** Options of every opened ruyi index (threads, maxMemory...). */
  engine?: IndexOptions;
  /** Logger for the access log; default pino to stderr (JSON lines with `json`). */
  logger?: Logger;
  json?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  /** Stops accepting, finishes the queued tasks, closes every index. */
  close(): Promise<void>;
}

/** The built-in page, resolved from the package root as paths.ts resolves dict/: from src/ under tsx, from dist/ when built. */
const fromSource = import.meta.url.endsWith('.ts');
export const PAGE_DIR = fileURLToPath(new URL(fromSource ? './page/' : '../../../src/serve/page/', import.meta.url));

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** A lingering close (as nginx does): bounded in time and bytes. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 16 * 2 ** 20;

/**
 * After answering a request whose body was not read, the connection is closed, but not at
 * once: closing a socket with unread data sends a TCP reset, which can destroy the answer
 * before the client reads it. The rest of the body is read and dropped for at most
 * LINGER_MS or LINGER_BYTES, then the socket goes, however much the client still sends.
 */
function linger(req: IncomingMessage): void {
  const socket = req.socket;
  let dropped = 0;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // A small body read to its end leaves a healthy keep-alive connection: keep it.
  req.once('end', () => clearTimeout(timer));
  // An abandoned async iterator keeps the body in paused mode; flowing mode drops it.
  req.removeAllListeners('readable');
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) socket.destroy();
  });
  req.resume();
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  let payload: Buffer;
  let type: string;
  if ('raw' in reply) {
    payload = reply.raw;
    type = reply.contentType;
  } else {
    payload = Buffer.from(JSON.stringify(reply.body));
    type = 'application/json';
  }
  // A body left unread (an error before reading it, or a 413) is not drained: the
  // connection is closed once the answer is out, so a 1 GB upload costs nothing more.
  const unread = !req.complete;
  // Node ends a `Connection: close` exchange as soon as the answer is out; with the body
  // unread, the reset that follows can destroy the answer: linger() closes it instead.
  if (unread) res.shouldKeepAlive = true;
  res.writeHead(reply.status, { 'content-type': type, 'content-length': payload.length });
  if (unread) res.on('finish', () => linger(req));
  res.end(req.method === 'HEAD' ? undefined : payload);
}

function toApiError(err: unknown, log: Logger): ApiError {
  if (err instanceof ApiError) return err;
  if (isEngineError(err)) {
    if (err.code === 'E_QUERY_SYNTAX') return new ApiError('invalid_search_q', err.message);
    if (err.code === 'E_INPUT') return new ApiError('invalid_document_fields', err.message);
    if (err.code === 'E_SHARD_IO') return new ApiError('cluster_unavailable', err.message);
  }
  log.error({ err }, 'internal error');
  return new ApiError('internal', 'Internal error; see the server log.');
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const masterKey = options.masterKey === '' ? undefined : options.masterKey;
  if (masterKey === undefined && !isLoopback(host))
    throw new EngineError(
      'E_CONFIG',
      `refusing to listen on ${host} without a master key: anyone who can reach it could change the indexes. Give --master-key (or RUYI_MASTER_KEY), or bind 127.0.0.1.`,
    );
  if (masterKey !== undefined && Buffer.byteLength(masterKey) < 16)
    throw new EngineError('E_CONFIG', 'the master key must be at least 16 bytes long, as Meilisearch requires.');
  // The budget holds the whole server: its searches and requests are kept out of what the
  // indexing threads plan with, and a budget that cannot hold both is refused here.
  const engine: IndexOptions = { ...options.engine, hostBytes: SERVE_HOST_BYTES };
  const { refusal } = resolveOptions(engine).memory;
  if (refusal !== null) throw new EngineError('E_CONFIG', `ruyi serve: ${refusal}`);
  const log = options.logger ?? createLogger(options.json === true);
  const registry = new Registry(options.db, engine, runTask, log);
  const app: ServeContext = {
    registry,
    keys: masterKey === undefined ? null : new KeyChecker(masterKey),
    limits: {
      maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      maxDocumentBytes: options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
      bodyIdleTimeoutMs: options.bodyIdleTimeoutMs ?? 30_000,
    },
    startedAt: new Date(),
    pageDir: PAGE_DIR,
  };
  const router = new Router([
    ...healthRoutes,
    ...indexRoutes,
    ...documentRoutes,
    ...searchRoutes,
    ...settingsRoutes,
    ...taskRoutes,
    ...keyRoutes,
    ...pageRoutes,
  ]);
  const maxConcurrent = options.maxConcurrentRequests ?? 256;
  let inflight = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    inflight++;
    res.on('close', () => {
      inflight--;
      log.info(
        {
          method: req.method,
          url: req.url?.slice(0, 300),
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        'request',
      );
    });
    // Browsers (the search page on another origin, InstantSearch) need CORS, as Meilisearch allows it.
    res.setHeader('access-control-allow-origin', '*');
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
          'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
          'access-control-max-age': '86400',
        });
        res.end();
        return;
      }
      if (inflight > maxConcurrent)
        throw new ApiError('too_many_requests', `Too many requests at once (over ${maxConcurrent}); retry later.`);
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        throw new ApiError('bad_request', 'Malformed request URL.');
      }
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > app.limits.maxPayloadBytes) throw tooLarge(app.limits.maxPayloadBytes);
      const { route, params } = router.match(req.method ?? 'GET', url.pathname);
      let access = null;
      if (route.action !== 'public') {
        if (route.action === 'keys' && app.keys === null)
          throw new ApiError(
            'missing_master_key',
            'Meilisearch is running without a master key. To access this API endpoint, you must have set a master key at launch.',
          );
        if (app.keys !== null) {
          access = app.keys.check(req.headers.authorization);
          if (!permits(access, { action: route.action })) throw new ApiError('invalid_api_key', 'The provided API key is invalid.');
        }
      }
      send(req, res, await route.handle({ req, url, params, access, app }));
    } catch (err) {
      const e = toApiError(err, log);
      send(req, res, { status: statusOf(e.code), body: errorBody(e.code, e.message) });
    }
  };

  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 300_000,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
      connectionsCheckingInterval: options.timeoutCheckIntervalMs ?? 1_000,
      // Huge header blocks are refused by Node (431) before they reach a route.
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => void handle(req, res),
  );
  // A socket idle for this long mid-request (not between requests: that is keepAliveTimeout) is dropped.
  server.setTimeout(options.requestTimeoutMs ?? 300_000, (socket) => socket.destroy());
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    // Slow headers or body (headersTimeout, requestTimeout) are 408; anything else unparsable is 400.
    const [status, line, body] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', errorBody('request_timeout', 'The request took too long to arrive.')]
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', errorBody('bad_request', 'The request headers are too large.')]
          : [400, 'Bad Request', errorBody('bad_request', `Malformed HTTP request: ${err.code ?? err.message}`)];
    const text = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${status} ${line}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    );
  });

  registry.resume();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  setImmediate(() => void registry.warmUp());
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    server,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await registry.close();
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
