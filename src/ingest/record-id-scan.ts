/**
 * The id of an NDJSON record read straight from its bytes, without parsing the record: the
 * main thread of a bulk index needs only the id (to pick the shard) and leaves parsing,
 * validation and analysis to the workers. It walks the top-level object's keys, jumping
 * over string values with Buffer.indexOf (native) and over nested values by depth, and
 * returns the id as the engine stores it: a string as JSON.parse decodes it, a safe integer
 * as its decimal string. Like JSON.parse, the last of duplicate keys wins. Anything else
 * (not an object, malformed, no id, an id of another type) gives null: the worker that
 * parses the record then rejects it with its reason.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(buf: Uint8Array, at: number, end: number): number {
  while (at < end && isSpace(buf[at] as number)) at++;
  return at;
}

/** The index just past the string that opens at `at` (a quote), or -1 if it never closes. */
function stringEnd(buf: Buffer, at: number, end: number): number {
  let from = at + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, from);
    if (q < 0 || q >= end) return -1;
    // A quote is escaped by an odd run of backslashes before it.
    let slashes = 0;
    while (q - 1 - slashes > at && buf[q - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** The index just past the value that starts at `at`, or -1 when malformed. Scalars are not checked here. */
function valueEnd(buf: Buffer, at: number, end: number): number {
  const c = buf[at];
  if (c === QUOTE) return stringEnd(buf, at, end);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let i = at;
    while (i < end) {
      const b = buf[i] as number;
      if (b === QUOTE) {
        i = stringEnd(buf, i, end);
        if (i < 0) return -1;
        continue;
      }
      if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  let i = at;
  while (i < end) {
    const b = buf[i] as number;
    if (b === COMMA || b === CLOSE_BRACE || isSpace(b)) break;
    i++;
  }
  return i > at ? i : -1;
}

function decodeString(buf: Buffer, start: number, end: number): string | null {
  // No backslash: the bytes are the string (JSON strings are UTF-8 without escapes). Keys
  // and ids are short: a loop over them beats indexOf, which would search the rest of the line.
  let escaped = false;
  for (let i = start + 1; i < end - 1; i++) {
    if (buf[i] === BACKSLASH) {
      escaped = true;
      break;
    }
  }
  if (!escaped) return buf.toString('utf8', start + 1, end - 1);
  try {
    return JSON.parse(buf.toString('utf8', start, end)) as string;
  } catch {
    return null;
  }
}

/** The record's id, as the engine would store it, or null (see the module comment). */
export function scanRecordId(buf: Buffer, key: string, numericIds = true, start = 0, end = buf.length): string | null {
  let i = skipSpace(buf, start, end);
  if (buf[i] !== OPEN_BRACE) return null;
  i = skipSpace(buf, i + 1, end);
  if (buf[i] === CLOSE_BRACE) return null;
  let id: string | null = null;
  for (;;) {
    if (buf[i] !== QUOTE) return null;
    const keyEnd = stringEnd(buf, i, end);
    if (keyEnd < 0) return null;
    const name = decodeString(buf, i, keyEnd);
    i = skipSpace(buf, keyEnd, end);
    if (buf[i] !== COLON) return null;
    i = skipSpace(buf, i + 1, end);
    const vEnd = valueEnd(buf, i, end);
    if (vEnd < 0) return null;
    if (name === key) id = idValue(buf, i, vEnd, numericIds);
    i = skipSpace(buf, vEnd, end);
    if (buf[i] === CLOSE_BRACE) return skipSpace(buf, i + 1, end) === end ? id : null;
    if (buf[i] !== COMMA) return null;
    i = skipSpace(buf, i + 1, end);
  }
}

function idValue(buf: Buffer, start: number, end: number, numericIds: boolean): string | null {
  if (buf[start] === QUOTE) return decodeString(buf, start, end);
  if (!numericIds) return null;
  const c = buf[start] as number;
  if (c !== 0x2d && (c < 0x30 || c > 0x39)) return null;
  const n = Number(buf.toString('latin1', start, end));
  // normalizeId's rule: a safe integer becomes its decimal string; anything else is refused.
  return Number.isSafeInteger(n) ? String(n) : null;
}
