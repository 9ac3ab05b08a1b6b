/**
 * For a huge NDJSON line: finds the top-level body string (key `bodyKey`) of a JSON object and decodes it
 * in place to UTF-8 bytes (unescaping only shrinks), so the body never becomes a JavaScript
 * string; the rest of the object is parsed with JSON.parse without it. Returns null when the
 * line does not have that shape (the caller then parses it whole, with JSON.parse's errors).
 */
export function splitLargeBody(line: Buffer, bodyKey = 'body'): { rest: unknown; body: Buffer } | null {
  let i = skipSpace(line, 0);
  if (line[i] !== 0x7b) return null; // {
  i++;
  for (;;) {
    i = skipSpace(line, i);
    if (line[i] !== 0x22) return null; // a key
    const keyStart = i;
    const keyEnd = skipString(line, i);
    if (keyEnd < 0) return null;
    const key = line.toString('utf8', keyStart + 1, keyEnd - 1);
    i = skipSpace(line, keyEnd);
    if (line[i] !== 0x3a) return null; // :
    i = skipSpace(line, i + 1);
    const valueStart = i;
    const valueEnd = skipValue(line, i);
    if (valueEnd < 0) return null;
    if (key === bodyKey && line[valueStart] === 0x22) {
      const head = line.toString('utf8', 0, valueStart);
      const tail = line.toString('utf8', valueEnd);
      let rest: unknown;
      try {
        rest = JSON.parse(`${head}""${tail}`);
      } catch {
        return null;
      }
      const length = unescapeInPlace(line, valueStart + 1, valueEnd - 1);
      if (length < 0) return null;
      return { rest, body: line.subarray(valueStart + 1, valueStart + 1 + length) };
    }
    i = skipSpace(line, valueEnd);
    if (line[i] === 0x2c) {
      i++;
      continue;
    }
    return null; // '}' before any body, or malformed
  }
}

function skipSpace(b: Buffer, from: number): number {
  let i = from;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  return i;
}

/** The index just past the string starting at `from` (a quote), or -1. */
function skipString(b: Buffer, from: number): number {
  for (let i = from + 1; i < b.length; i++) {
    const c = b[i];
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

/** The index just past the JSON value starting at `from`, or -1. */
function skipValue(b: Buffer, from: number): number {
  const c = b[from];
  if (c === 0x22) return skipString(b, from);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let i = from; i < b.length; i++) {
      const d = b[i];
      if (d === 0x22) {
        i = skipString(b, i) - 1;
        if (i < 0) return -1;
      } else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
  let i = from;
  while (i < b.length && b[i] !== 0x2c && b[i] !== 0x7d && b[i] !== 0x20 && b[i] !== 0x0a && b[i] !== 0x0d && b[i] !== 0x09) i++;
  return i > from ? i : -1;
}

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Writes a UTF-8 encoded code point at `at`; returns the next write index. */
function putCodePoint(b: Buffer, at: number, cp: number): number {
  let w = at;
  if (cp < 0x80) b[w++] = cp;
  else if (cp < 0x800) {
    b[w++] = 0xc0 | (cp >> 6);
    b[w++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    b[w++] = 0xe0 | (cp >> 12);
    b[w++] = 0x80 | ((cp >> 6) & 0x3f);
    b[w++] = 0x80 | (cp & 0x3f);
  } else {
    b[w++] = 0xf0 | (cp >> 18);
    b[w++] = 0x80 | ((cp >> 12) & 0x3f);
    b[w++] = 0x80 | ((cp >> 6) & 0x3f);
    b[w++] = 0x80 | (cp & 0x3f);
  }
  return w;
}

/**
 * Unescapes the JSON string content b[start, end) into b[start, ...) and returns its new
 * length, or -1 if an escape is invalid. Every escape is at least as long as what it
 * decodes to, so writing never overtakes reading.
 */
export function unescapeInPlace(b: Buffer, start: number, end: number): number {
  let w = start;
  for (let r = start; r < end; r++) {
    const c = b[r] as number;
    if (c !== 0x5c) {
      b[w++] = c;
      continue;
    }
    const e = b[++r];
    switch (e) {
      case 0x22:
      case 0x5c:
      case 0x2f:
        b[w++] = e;
        break;
      case 0x62:
        b[w++] = 0x08;
        break;
      case 0x66:
        b[w++] = 0x0c;
        break;
      case 0x6e:
        b[w++] = 0x0a;
        break;
      case 0x72:
        b[w++] = 0x0d;
        break;
      case 0x74:
        b[w++] = 0x09;
        break;
      case 0x75: {
        if (r + 4 >= end) return -1;
        let cp = 0;
        for (let k = 1; k <= 4; k++) {
          const h = hex(b[r + k] as number);
          if (h < 0) return -1;
          cp = cp * 16 + h;
        }
        r += 4;
        if (cp >= 0xd800 && cp <= 0xdbff && b[r + 1] === 0x5c && b[r + 2] === 0x75) {
          let lo = 0;
          for (let k = 3; k <= 6; k++) {
            const h = hex(b[r + k] as number);
            if (h < 0) return -1;
            lo = lo * 16 + h;
          }
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            r += 6;
          }
        }
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate
        w = putCodePoint(b, w, cp);
        break;
      }
      default:
        return -1;
    }
  }
  return w - start;
}
