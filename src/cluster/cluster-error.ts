import { EngineError } from '../errors.js';

/**
 * A node that cannot be reached or refused a statement. An `EngineError` with code
 * `E_SHARD_IO` (CLI exit 3) whose message names the node (and the shard, for a write);
 * `node` and `shard` carry them for code.
 */
export class ClusterError extends EngineError {
  readonly node: string;
  readonly shard: string | null;
  constructor(node: string, shard: string | null, message: string, options?: { cause?: unknown }) {
    super('E_SHARD_IO', `node ${node}${shard === null ? '' : ` (shard ${shard})`}: ${message}`, options);
    this.name = 'ClusterError';
    this.node = node;
    this.shard = shard;
  }
}

/** A short reason from a mysql2 or socket error: its code and first line. */
export function reasonOf(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = String(e?.message ?? err).split('\n')[0] as string;
  return e?.code !== undefined && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}

/** Errors of the connection, not of the statement: another replica may do. */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  const fatal = (err as { fatal?: boolean })?.fatal === true;
  return (
    fatal ||
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'EPIPE',
      'PROTOCOL_CONNECTION_LOST',
      'PROTOCOL_SEQUENCE_TIMEOUT',
    ].includes(code) ||
    code.startsWith('PROTOCOL_')
  );
}
