import { type EngineError, isEngineError } from '../errors.js';

/** Documented in the README ("Exit codes"). */
export const EXIT = {
  ok: 0,
  usage: 1,
  input: 2,
  index: 3,
  query: 4,
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
    default:
      return EXIT.index;
  }
}
