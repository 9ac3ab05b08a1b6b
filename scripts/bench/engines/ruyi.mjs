// ruyi through its public API from dist/ (build first). It is indexed by its CLI (as users
// run it, see bench.ts); here it is only opened and searched.
const ruyiModule = new URL('../../../dist/src/index.js', import.meta.url);

let openIndex;

export const ruyi = {
  name: 'ruyi',
  modes: ['default'],
  async prepare() {
    ({ openIndex } = await import(ruyiModule.href));
  },
  async load(dir) {
    return openIndex(dir, { create: false, threads: 1 });
  },
  search(index, query, _mode, limit) {
    return index.search(query, { limit }).hits.map((h) => h.id);
  },
  async close(index) {
    await index.close();
  },
};
