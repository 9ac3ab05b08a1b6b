import { once } from 'node:events';
import type { IndexOptions } from '../../config.js';
import { startServer } from '../../serve/server.js';
import { EXIT } from '../exit-codes.js';
import { printError } from '../output.js';
import { requireDb, type Settings } from '../settings.js';

export interface ServeCommandFlags extends Settings {
  host?: string;
  port?: number;
  masterKey?: string;
  maxPayload?: number;
  maxRequests?: number;
  headersTimeout?: number;
  requestTimeout?: number;
  keepAliveTimeout?: number;
  bodyTimeout?: number;
  json?: boolean;
}

/**
 * `ruyi serve`: prints the bound URL as the first line of stdout (scripts and tests read
 * it, with --port 0), logs to stderr, and runs until SIGTERM or SIGINT, which stop
 * accepting, finish the queued tasks and close the indexes; a second signal exits at once.
 */
export async function serveCommand(flags: ServeCommandFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const engine: IndexOptions = {
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
    ...(flags.maxMemory === undefined ? {} : { maxMemory: flags.maxMemory }),
  };
  const masterKey = flags.masterKey ?? env.RUYI_MASTER_KEY;
  const running = await startServer({
    db: requireDb(flags),
    ...(flags.host === undefined ? {} : { host: flags.host }),
    ...(flags.port === undefined ? {} : { port: flags.port }),
    ...(masterKey === undefined || masterKey === '' ? {} : { masterKey }),
    ...(flags.maxPayload === undefined ? {} : { maxPayloadBytes: flags.maxPayload }),
    ...(flags.maxRequests === undefined ? {} : { maxConcurrentRequests: flags.maxRequests }),
    ...(flags.headersTimeout === undefined
      ? {}
      : { headersTimeoutMs: flags.headersTimeout, timeoutCheckIntervalMs: Math.min(1000, flags.headersTimeout) }),
    ...(flags.requestTimeout === undefined ? {} : { requestTimeoutMs: flags.requestTimeout }),
    ...(flags.keepAliveTimeout === undefined ? {} : { keepAliveTimeoutMs: flags.keepAliveTimeout }),
    ...(flags.bodyTimeout === undefined ? {} : { bodyIdleTimeoutMs: flags.bodyTimeout }),
    engine,
    json: flags.json === true,
  });
  process.stdout.write(`${running.url}\n`);
  if (masterKey === undefined || masterKey === '') printError(`ruyi serve: no master key; listening on loopback only (${running.url})`);
  const signal = await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  const onSecond = () => process.exit(EXIT.interrupted);
  process.on('SIGTERM', onSecond);
  process.on('SIGINT', onSecond);
  printError(`ruyi serve: ${String(signal[0] ?? 'signal')}: finishing queued tasks, then stopping`);
  await running.close();
  return EXIT.ok;
}
