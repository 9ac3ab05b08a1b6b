// Lunr 2: BM25 over title (boost 3) and body; its English stemmer and stop-word pipeline
// removed and its tokenizer replaced by jieba. A query is built term by term (no query
// string parsing); AND marks every term required, OR leaves them optional (its default).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lunr from 'lunr';

export const lunrEngine = {
  name: 'lunr',
  modes: ['or', 'and-or'],
  async build(docs, tokenize) {
    const builder = new lunr.Builder();
    builder.pipeline.reset();
    builder.searchPipeline.reset();
    builder.tokenizer = (text) => (text == null ? [] : tokenize(String(text)).map((t) => new lunr.Token(t, {})));
    builder.ref('id');
    builder.field('title', { boost: 3 });
    builder.field('body');
    for await (const doc of docs) builder.add(doc);
    return builder.build();
  },
  async save(index, dir) {
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
  },
  async load(dir) {
    return lunr.Index.load(JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')));
  },
  search(index, query, mode, limit, tokenize) {
    const terms = [...new Set(tokenize(query))];
    const run = (presence) =>
      index.query((q) => {
        for (const term of terms) q.term(term, { presence, usePipeline: false, wildcard: lunr.Query.wildcard.NONE });
      });
    let hits = mode === 'or' ? [] : run(lunr.Query.presence.REQUIRED);
    if (hits.length === 0) hits = run(lunr.Query.presence.OPTIONAL);
    return hits.slice(0, limit).map((h) => h.ref);
  },
};
