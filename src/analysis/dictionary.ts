import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { STOPWORDS_FILE, USER_DICT_FILE } from '../paths.js';

/** Lines of a dict/ file without '#' comments and blank lines. */
function dictLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export function loadStopwords(): Set<string> {
  return new Set(dictLines(STOPWORDS_FILE).map((w) => w.normalize('NFKC').toLowerCase()));
}

/** The user dictionary in jieba's `word freq tag` form, comments removed. */
export function loadUserDict(): Buffer {
  return Buffer.from(`${dictLines(USER_DICT_FILE).join('\n')}\n`, 'utf8');
}

/**
 * A fingerprint of what the analyzer depends on besides its code: an index made with other
 * dictionaries would answer queries analyzed differently, so it is recorded in the metadata.
 */
export function dictionaryFingerprint(): string {
  const sha = createHash('sha256');
  sha.update(readFileSync(STOPWORDS_FILE));
  sha.update('\0');
  sha.update(readFileSync(USER_DICT_FILE));
  return sha.digest('hex').slice(0, 16);
}
