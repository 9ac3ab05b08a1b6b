import { EngineError } from './errors.js';
import type { DocInput } from './types.js';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** How large a document may be, and whose limit that is (for the error). */
export interface DocSizeLimit {
  maxDocBytes: number;
  /** Ends the refusal: "maxDocBytes (64.0 MiB); raise it or set truncateLongDocs". */
  reason: string;
  truncate: boolean;
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** The limit as engine options state it: the option's, or the memory budget's when that is smaller. */
export function docSizeLimit(
  maxDocBytes: number,
  byBudget: boolean,
  budgetBytes: number,
  truncate: boolean,
  /** With more than one thread: what one thread could hold within the same budget. */
  oneThreadBytes: number | null = null,
): DocSizeLimit {
  const fewer = oneThreadBytes !== null && oneThreadBytes > maxDocBytes ? `, use 1 thread (it can hold ${mib(oneThreadBytes)})` : '';
  const reason = byBudget
    ? `what the ${mib(budgetBytes)} memory budget can hold (${mib(maxDocBytes)}); raise maxMemory${fewer} or set truncateLongDocs`
    : `maxDocBytes (${mib(maxDocBytes)}); raise it or set truncateLongDocs`;
  return { maxDocBytes, reason, truncate };
}

/** The largest length <= maxBytes that does not cut a UTF-8 character. */
export function utf8Boundary(bytes: Uint8Array, maxBytes: number): number {
  if (bytes.length <= maxBytes) return bytes.length;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return end;
}

/** The first `maxBytes` of a string's UTF-8 encoding, cut at a character boundary. */
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = utf8.encode(text);
  return utf8Decoder.decode(bytes.subarray(0, utf8Boundary(bytes, maxBytes)));
}

/**
 * Checks a document against the size limit: refused with E_INPUT naming it and the limit,
 * or, with `truncate`, its body cut to fit (at a character boundary). Returns the body bytes
 * to use (cut when they were given as bytes); `doc.body` is cut in place when it is a string.
 */
export function fitDocSize(doc: DocInput, bodyUtf8: Uint8Array | null, limit: DocSizeLimit, where: string): Uint8Array | null {
  // Cheap upper bound first: a UTF-16 unit is at most 3 UTF-8 bytes.
  if (bodyUtf8 === null && (doc.title.length + doc.body.length) * 3 <= limit.maxDocBytes) return null;
  const size = Buffer.byteLength(doc.title) + (bodyUtf8?.byteLength ?? Buffer.byteLength(doc.body));
  if (size <= limit.maxDocBytes) return bodyUtf8;
  if (!limit.truncate) {
    const reason = `document is ${mib(size)}, over ${limit.reason}`;
    throw new EngineError('E_INPUT', `${where} (id ${JSON.stringify(doc.id)}): ${reason}`, { detail: reason });
  }
  const keep = Math.max(0, limit.maxDocBytes - Buffer.byteLength(doc.title));
  if (bodyUtf8 !== null) return bodyUtf8.subarray(0, utf8Boundary(bodyUtf8, keep));
  doc.body = truncateUtf8(doc.body, keep);
  return null;
}
