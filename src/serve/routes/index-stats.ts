import type { JsonObject } from '../filter-eval.js';
import type { ServeContext } from '../router.js';

/** Above this many documents, fieldDistribution is not counted (it reads every stored document). */
const FIELD_DISTRIBUTION_MAX_DOCS = 100_000;

export async function indexStats(app: ServeContext, uid: string) {
  app.registry.require(uid);
  const { ruyi, docs } = await app.registry.open(uid);
  const fieldDistribution: Record<string, number> = {};
  const numberOfDocuments = docs.count();
  if (numberOfDocuments <= FIELD_DISTRIBUTION_MAX_DOCS) {
    for (const { text } of docs.range()) {
      for (const key of Object.keys(JSON.parse(text) as JsonObject)) fieldDistribution[key] = (fieldDistribution[key] ?? 0) + 1;
    }
  }
  const stats = ruyi.stats();
  return {
    numberOfDocuments,
    rawDocumentDbSize: stats.bytesOnDisk,
    avgDocumentSize: numberOfDocuments === 0 ? 0 : Math.round(stats.bytesOnDisk / numberOfDocuments),
    isIndexing: app.registry.isIndexing(uid),
    numberOfEmbeddings: 0,
    numberOfEmbeddedDocuments: 0,
    fieldDistribution,
  };
}
