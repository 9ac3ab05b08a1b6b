import type { IndexOptions } from '../config.js';
import { openIndex as openLocalIndex, type RuyiIndex } from '../engine.js';
import { isClusterDir } from './cluster-config.js';
import { ClusterIndex } from './cluster-index.js';

/**
 * The public openIndex: a local index, or, when `dir` holds cluster.json, the cluster it
 * describes. A ClusterIndex has the public surface of a local index (add, remove, flush,
 * search, get, has, stats, optimize, close, with the same shapes; search results also say
 * which shards were missing), so it is returned under that type; members the engine keeps
 * for its own CLI and server (enqueueRaw, meta, generationDir) do not exist on it.
 * Code that needs to know asks `index instanceof ClusterIndex`.
 */
export async function openIndex(dir: string, options?: IndexOptions): Promise<RuyiIndex> {
  if (isClusterDir(dir)) return (await ClusterIndex.open(dir, options)) as unknown as RuyiIndex;
  return openLocalIndex(dir, options);
}
