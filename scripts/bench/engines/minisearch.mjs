// MiniSearch 7: BM25+ over title and body, title boost 3 (as ruyi), no prefix or fuzzy
// matching (ruyi has neither). Only the title is stored, as ruyi's hits show it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import MiniSearch from 'minisearch';

function options(tokenize) {
  return {
    idField: 'id',
    fields: ['title', 'body'],
    storeFields: ['title'],
    tokenize: (text) => tokenize(text),
    processTerm: (term) => term,
    searchOptions: { boost: { title: 3 }, prefix: false, fuzzy: false },
  };
}

export const minisearch = {
  name: 'minisearch',
  modes: ['or', 'and-or'],
  async build(docs, tokenize) {
    const index = new MiniSearch(options(tokenize));
    for await (const doc of docs) index.add(doc);
    return index;
  },
  async save(index, dir) {
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  },
  async load(dir, tokenize) {
    return MiniSearch.loadJSON(readFileSync(join(dir, 'index.json'), 'utf8'), options(tokenize));
  },
  search(index, query, mode, limit) {
    let hits = index.search(query, { combineWith: mode === 'or' ? 'OR' : 'AND' });
    if (hits.length === 0 && mode === 'and-or') hits = index.search(query, { combineWith: 'OR' });
    return hits.slice(0, limit).map((h) => h.id);
  },
};
