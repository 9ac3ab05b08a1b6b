// The tokenizer every peer gets: the same analysis ruyi runs (its public behaviour, see the
// README's Ranking section), rebuilt here from @node-rs/jieba so the benchmark does not
// reach into ruyi's internals: NFKC and lower case, jieba search mode (words plus their
// dictionary sub-words) with ruyi's user dictionary, only tokens with a letter or a digit,
// ruyi's stop words dropped, terms cut to 64 characters.
import { readFileSync } from 'node:fs';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';

const DICT_DIR = new URL('../../dict/', import.meta.url);
const MAX_TERM_CHARS = 64;
const WORD_CHAR = /[\p{L}\p{N}]/u;

function dictLines(name) {
  return readFileSync(new URL(name, DICT_DIR), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Loads jieba (its dictionary plus ruyi's user dictionary); returns `tokenize(text) => string[]`. */
export function loadTokenizer() {
  const jieba = Jieba.withDict(dict);
  jieba.loadDict(Buffer.from(`${dictLines('user.dict.txt').join('\n')}\n`, 'utf8'));
  const stopwords = new Set(dictLines('stopwords.txt').map((w) => w.normalize('NFKC').toLowerCase()));
  return function tokenize(text) {
    const out = [];
    for (let token of jieba.cutForSearch(text.normalize('NFKC').toLowerCase(), true)) {
      if (!WORD_CHAR.test(token)) continue;
      if (token.length > MAX_TERM_CHARS) token = token.slice(0, MAX_TERM_CHARS);
      if (!stopwords.has(token)) out.push(token);
    }
    return out;
  };
}
