import { createHash } from 'node:crypto';

/**
 * ruyi's terms as Sphinx keywords. Sphinx re-tokenizes every field with its charset table
 * and cuts a keyword at 42 characters (SPH_MAX_WORD_LEN in Sphinx 2.2.11, checked: a 43-letter
 * word matches its first 42). So a term goes to Sphinx as itself only when every character is
 * in PLAIN below and it is at most MAX_PLAIN_CHARS long; otherwise it is encoded into
 * characters the table holds, so that it stays exactly one keyword ("c++", "node.js", emoji,
 * pinyin and tag namespaces):
 *
 * - `_` + base32 of its UTF-8 bytes (alphabet 0-9a-v), when that fits in 42 characters;
 * - `_x` + 26 base32 characters of its MD5 (130 bits) otherwise. `x` is outside the alphabet,
 *   so a hashed keyword never equals an encoded one.
 *
 * A plain term has no `_`, and an encoding has at least two characters after its `_` (one byte
 * is two base32 digits), so `_` plus one letter is free for markers: STOP_MARK stands for a
 * stop word (listed in Sphinx's stopwords file: it keeps its position, as in ruyi, so phrases
 * line up) and ALL_MARK is indexed in every document (so a query of exclusions has something
 * to exclude from).
 */
export const SPHINX_MAX_WORD_CHARS = 42;
const MAX_PLAIN_CHARS = SPHINX_MAX_WORD_CHARS;
const ALPHABET = '0123456789abcdefghijklmnopqrstuv';
const HASH_CHARS = 26;

export const STOP_MARK = '_s';
export const ALL_MARK = '_a';

/** The charset_table of every shard: exactly the characters a plain term may hold, mapped to themselves. */
export const CHARSET_TABLE = '0..9, a..z, _, U+3400..U+4DBF, U+4E00..U+9FFF';

function isPlainCode(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf);
}

/** Whether Sphinx keeps `term` as one keyword, unchanged. */
export function isPlainTerm(term: string): boolean {
  if (term.length === 0 || term.length > MAX_PLAIN_CHARS) return false;
  for (let i = 0; i < term.length; i++) if (!isPlainCode(term.charCodeAt(i))) return false;
  return true;
}

function base32(bytes: Uint8Array, maxChars = Number.POSITIVE_INFINITY): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < maxChars) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0 && out.length < maxChars) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/** The Sphinx keyword of a ruyi term: one token of [0-9a-z_] and CJK ideographs, at most 42 characters. */
export function encodeTerm(term: string): string {
  if (isPlainTerm(term)) return term;
  const bytes = Buffer.from(term, 'utf8');
  // base32 makes 8 characters of every 5 bytes.
  if (Math.ceil((bytes.length * 8) / 5) + 1 <= SPHINX_MAX_WORD_CHARS) return `_${base32(bytes)}`;
  return `_x${base32(createHash('md5').update(bytes).digest(), HASH_CHARS)}`;
}
