import { type Logger, pino } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/**
 * One line per entry for people: pino-pretty is only a dev dependency, and an access log
 * needs no colours; `--json` keeps pino's own NDJSON for log shippers.
 */
function lineStream(write: (text: string) => void) {
  return {
    write(chunk: string): void {
      try {
        const { level, time, msg, method, url, status, ms, err, ...rest } = JSON.parse(chunk) as Record<string, unknown>;
        const when = new Date(time as number).toISOString();
        const request = method === undefined ? '' : ` ${method} ${url} ${status} ${ms}ms`;
        const extra = Object.keys(rest).length === 0 ? '' : ` ${JSON.stringify(rest)}`;
        const error = err === undefined ? '' : ` ${(err as { message?: string }).message ?? ''}`;
        write(`${when} ${LEVELS[level as number] ?? level}${request} ${msg ?? ''}${extra}${error}\n`);
      } catch {
        write(chunk);
      }
    },
  };
}

/** The server's logger: to stderr, JSON lines with `json`, else one readable line per entry. */
export function createLogger(json: boolean, level = 'info'): Logger {
  const options = { base: null, level, timestamp: json ? pino.stdTimeFunctions.isoTime : pino.stdTimeFunctions.epochTime };
  if (json) return pino(options, pino.destination({ fd: 2, sync: true }));
  return pino(
    options,
    lineStream((text) => process.stderr.write(text)),
  );
}
