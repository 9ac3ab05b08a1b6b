/**
 * NFKC folds full-width letters, digits and punctuation to their ASCII forms (ＡＢＣ１２３ ->
 * ABC123) and compatibility characters (㎏ -> kg); lower-casing makes English case-blind.
 * Documents and queries go through the same function.
 */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** A token is indexed only if it has a letter or a digit: punctuation and spaces are not. */
const WORD_CHAR = /[\p{L}\p{N}]/u;
/**
 * What WORD_CHAR says of a one-character token, by code unit, filled in as met: 0 not yet
 * asked, 1 a word, 2 not. Non-ASCII punctuation (。、“”《》…) is a token of its own about
 * every other word of Chinese text, and a regular expression test costs more than the rest.
 */
const singleChar = new Uint8Array(0x10000);

export function isWordToken(token: string): boolean {
  // Fast paths for the two cases that are nearly every token: a Han word, an ASCII word.
  const c = token.charCodeAt(0);
  if (c >= 0x4e00 && c <= 0x9fff) return true;
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) return true;
  if (token.length === 1) {
    if (c < 0x80) return false;
    let kind = singleChar[c] as number;
    if (kind === 0) {
      kind = WORD_CHAR.test(token) ? 1 : 2;
      singleChar[c] = kind;
    }
    return kind === 1;
  }
  return WORD_CHAR.test(token);
}

const HAN = /\p{Script=Han}/u;
export function hasHan(token: string): boolean {
  const c = token.charCodeAt(0);
  if (c >= 0x4e00 && c <= 0x9fff) return true;
  if (c < 0x80 && token.length === 1) return false;
  return HAN.test(token);
}
