// FlexSearch 0.8: a Document index with one field index each for title and body, every
// field given the jieba tokens as its terms (encode) and `strict` tokenization (whole
// terms, no partial matching, as ruyi). FlexSearch ranks by term position, not BM25; the
// title gets boost 3 through its Resolver (title OR body). A multi-term query is an AND by
// default; `suggest: true` is its documented way to also return partial matches, used as
// the fallback.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, Resolver } from 'flexsearch';

function create(tokenize) {
  const field = (name) => ({ field: name, tokenize: 'strict', encode: (text) => tokenize(text) });
  return new Document({ document: { id: 'id', store: ['title'], index: [field('title'), field('body')] } });
}

function resolve(index, query, suggest, limit) {
  return new Resolver({ index, field: 'title', query, boost: 3, suggest })
    .or({ index, field: 'body', query, suggest })
    .limit(limit)
    .resolve();
}

export const flexsearch = {
  name: 'flexsearch',
  modes: ['or', 'and-or'],
  async build(docs, tokenize) {
    const index = create(tokenize);
    for await (const doc of docs) index.add(doc);
    return index;
  },
  async save(index, dir) {
    const parts = {};
    await index.export((key, data) => {
      parts[key] = data;
    });
    writeFileSync(join(dir, 'index.json'), JSON.stringify(parts));
  },
  async load(dir, tokenize) {
    const index = create(tokenize);
    for (const [key, data] of Object.entries(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')))) index.import(key, data);
    return index;
  },
  search(index, query, mode, limit) {
    let ids = mode === 'or' ? [] : resolve(index, query, false, limit);
    if (ids.length === 0) ids = resolve(index, query, true, limit);
    return ids;
  },
};
