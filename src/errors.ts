/**
 * One error type with a closed set of codes, so that callers (and the CLI's exit codes) can
 * switch on `code` instead of parsing messages.
 */
export type EngineErrorCode =
  | 'E_CONFIG' // an option is out of range or of the wrong type
  | 'E_META_MISMATCH' // the index on disk was made with other settings or another format
  | 'E_SHARD_IO' // LMDB or the file system failed while reading or writing a shard
  | 'E_CORRUPT' // stored bytes fail their checksum: the index was damaged after it was written
  | 'E_INPUT' // a document or an input line is invalid
  | 'E_QUERY_SYNTAX' // a query cannot be parsed
  | 'E_WORKER' // a worker thread failed outside any single document
  | 'E_LOCKED' // another process holds the index's writer lock
  | 'E_DISK_FULL' // the index's file system has no room for the next write
  | 'E_CLOSED'; // the index was used after close()

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  /** For input errors: the reason alone, without the place (the message has both). */
  readonly detail: string | undefined;
  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown; detail?: string }) {
    super(`ruyi: ${message}`, options);
    this.name = 'EngineError';
    this.code = code;
    this.detail = options?.detail;
  }
}

export function isEngineError(err: unknown, code?: EngineErrorCode): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}

/** Wraps whatever a pool task threw into an EngineError that names the shard. */
export function fromWorkerFailure(shard: number, err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // An error cloned out of a worker keeps its message but not its class or code.
  if (message.startsWith('ruyi: disk full')) return new EngineError('E_DISK_FULL', message.replace(/^ruyi: /, ''), { cause: err });
  return new EngineError('E_WORKER', `shard ${shard}: ${message.replace(/^ruyi: /, '')}`, { cause: err });
}
