import { hash } from 'node:crypto';

/** Recorded in the index metadata: changing it would send existing ids to other shards. */
export const ROUTER_HASH = 'md5-u32be-mod';

/**
 * The shard a document lives in, from its id alone (never its content), so that a replace
 * or a remove always reaches the shard that holds the old copy.
 */
export function shardOf(id: string, shardCount: number): number {
  if (shardCount === 1) return 0;
  const digest = hash('md5', id, 'buffer');
  return digest.readUInt32BE(0) % shardCount;
}
