import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { STOPWORDS_FILE, USER_DICT_FILE } from '../paths.js';

/**
 * jieba's main dictionary (5 MB of text), read only when a segmenter is built and then
 * dropped. `@node-rs/jieba/dict.js` reads it and the 6 MB IDF table at import and keeps both
 * for the life of the thread: 11 MB in every thread that imports the analyzer, the main
 * thread of a bulk index included, which never segments.
 */
export function loadJiebaDict(): Buffer {
  return readFileSync(createRequire(import.meta.url).resolve('@node-rs/jieba/dict.txt'));
}

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
