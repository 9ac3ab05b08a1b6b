import { type EngineError, isEngineError } from '../errors.js';

/** Documented in the README ("Exit codes"). */
export const EXIT = {
  ok: 0,
  usage: 1,
  input: 2,
  index: 3,
  query: 4,
  locked: 5,
  interrupted: 130,
} as const;

export function exitCodeFor(err: unknown): number {
  if (!isEngineError(err)) return EXIT.index;
  const code = (err as EngineError).code;
  switch (code) {
    case 'E_CONFIG':
      return EXIT.usage;
    case 'E_INPUT':
      return EXIT.input;
    case 'E_QUERY_SYNTAX':
      return EXIT.query;
    case 'E_LOCKED':
      return EXIT.locked;
    default:
      return EXIT.index;
  }
}
