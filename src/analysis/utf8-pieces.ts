/** A large body is decoded from its UTF-8 bytes this many bytes at a time. */
export const PIECE_BYTES = 64 * 1024;

const utf8 = new TextDecoder();

/**
 * Decodes UTF-8 text in pieces of about `pieceBytes`, each ending at a newline when one is
 * near its end and never inside a character, so a huge document is never one JavaScript
 * string: only a piece at a time lives on the heap.
 */
export function* utf8Pieces(bytes: Uint8Array, pieceBytes = PIECE_BYTES): Generator<string> {
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + pieceBytes, bytes.length);
    if (end < bytes.length) {
      const floor = end - (pieceBytes >> 2);
      let cut = end;
      while (cut > floor && bytes[cut - 1] !== 0x0a) cut--;
      if (cut > floor) end = cut;
      // Not inside a character: a continuation byte (10xxxxxx) never starts one.
      while (end > start + 1 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
    }
    yield utf8.decode(bytes.subarray(start, end));
    start = end;
  }
}
