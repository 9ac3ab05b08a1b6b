import { clusterIndexOptions, planClusterMemory } from '../cluster/cluster-memory.js';
import type { ClusterConfig } from '../cluster/cluster-config.js';
import type { ClusterSearchResult } from '../cluster/cluster-search.js';
import { resolveOptions } from '../config.js';
import { type IndexOptions, openIndex } from '../index.js';
import { ApiError } from './errors.js';
import type { JsonObject } from './filter-eval.js';
import { toRuyiDoc } from './mapping.js';
import type { IndexRecord, OpenedIndex } from './registry.js';
import type { IndexSettings } from './settings.js';

/*
 * `ruyi serve --db DIR` where DIR holds cluster.json (README "Past one machine"): the
 * server's own files go to DIR/.serve/ as for a data directory, and the cluster is the one
 * index it serves. Sphinx 2.2's RT indexes are declared in each node's config, so a second
 * index would need new shards on every node: one cluster, one index.
 */

/** Why the budget cannot hold a served cluster's writes (null when it can): refused at start-up, as for local indexes. */
export function clusterServeRefusal(config: ClusterConfig, engine: IndexOptions): string | null {
  const plan = resolveOptions(clusterIndexOptions(engine)).memory;
  const replicas = Math.max(...config.shards.map((s) => s.replicas.length));
  return planClusterMemory(plan, config.shards.length, replicas).refusal;
}

/** A record's analysis settings are the cluster's: fixed by `ruyi cluster init`. */
export function withClusterAnalysis(r: IndexRecord, config: ClusterConfig): IndexRecord {
  const { pinyin, traditional } = config.analysis;
  return { ...r, settings: { ...r.settings, pinyin, traditional } };
}

/** The second index asked of a cluster is refused, naming the one it holds. */
export function oneIndexOnly(held: string, asked: string): ApiError {
  return new ApiError(
    'index_already_exists',
    `this server's --db is a cluster directory, which holds one index (\`${held}\`): \`${asked}\` cannot be created; start another cluster and server for it`,
  );
}

/** Deletes every document of the cluster (an index deleted through the API): its rows on every replica, durably. */
export async function clearCluster(dir: string, engine: IndexOptions): Promise<void> {
  // A writer that has written nothing: its sweep deletes every row older than its start.
  const fresh = (await openIndex(dir, { ...engine, preloadAnalyzer: false })) as unknown as { sweepOthers(): Promise<number>; close(): Promise<unknown> };
  try {
    await fresh.sweepOthers();
  } finally {
    await fresh.close();
  }
}

/**
 * New searchable attributes or title on a cluster: every stored document is written again
 * (REPLACE), then flushed. Not atomic, as a cluster rebuild is not: searches meanwhile see
 * documents in the old and the new form. Pinyin and traditional are fixed at `cluster init`.
 */
export async function refeedCluster(opened: OpenedIndex, record: IndexRecord, next: IndexSettings): Promise<void> {
  if (next.pinyin !== record.settings.pinyin || next.traditional !== record.settings.traditional)
    throw new ApiError(
      'invalid_settings',
      `pinyin and traditional of a cluster are fixed by \`ruyi cluster init\` (pinyin: ${record.settings.pinyin}, traditional: ${record.settings.traditional})`,
    );
  const pk = record.primaryKey;
  if (pk === null) return;
  for (const { id, text } of opened.docs.range()) await opened.ruyi.add(toRuyiDoc(id, JSON.parse(text) as JsonObject, pk, next));
  const report = await opened.ruyi.flush();
  if (report.failedCount > 0)
    throw new ApiError('invalid_document_fields', `${report.failedCount} document(s) could not be indexed; first: ${report.failed[0]?.id}: ${report.failed[0]?.reason}`);
}

/** Shards none of whose replicas answered a search, as the response reports them (Meilisearch has no such field). */
export function missingShardsOf(result: object): ClusterSearchResult['missingShards'] {
  return 'missingShards' in result ? (result as ClusterSearchResult).missingShards : [];
}
