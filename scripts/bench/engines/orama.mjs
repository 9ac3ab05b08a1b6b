// Orama 3: BM25 over title and body with its tokenizer component replaced by jieba, title
// boost 3. `threshold: 0` returns only documents with every term, 1 (its default) any term.
// Orama keeps every inserted document in its documents store (here id, title and body).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, insert, load, save, search } from '@orama/orama';

function createDb(tokenize) {
  return create({
    schema: { title: 'string', body: 'string' },
    components: { tokenizer: { language: 'english', normalizationCache: new Map(), tokenize: (raw) => tokenize(raw) } },
  });
}

function run(db, term, threshold, limit) {
  return search(db, { term, properties: ['title', 'body'], boost: { title: 3 }, threshold, limit }).hits.map((h) => h.id);
}

export const orama = {
  name: 'orama',
  modes: ['or', 'and-or'],
  async build(docs, tokenize) {
    const db = createDb(tokenize);
    for await (const doc of docs) await insert(db, doc);
    return db;
  },
  async save(db, dir) {
    writeFileSync(join(dir, 'index.json'), JSON.stringify(save(db)));
  },
  async load(dir, tokenize) {
    const db = createDb(tokenize);
    load(db, JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')));
    return db;
  },
  search(db, query, mode, limit) {
    let ids = mode === 'or' ? [] : run(db, query, 0, limit);
    if (ids.length === 0) ids = run(db, query, 1, limit);
    return ids;
  },
};
