import { createHash } from 'node:crypto';
import { Analyzer } from '../analysis/analyzer.js';
import type { DocInput } from '../types.js';
import { type ClusterConfig, tableOf } from './cluster-config.js';
import { reasonOf } from './cluster-error.js';
import { idLiteral } from './doc-ids.js';
import { COLUMNS, docRow } from './doc-rows.js';
import type { SphinxNodes } from './sphinx-nodes.js';

/** Rows read per statement when a replica is listed or copied. */
const PAGE_ROWS = 1000;
const COPY_ROWS = 100;

export interface ReplicaState {
  node: string;
  docs: number | null;
  /** SHA-256 of every (id, content version) in id order, first 16 hex digits. */
  digest: string | null;
  error?: string;
}

export interface ShardCheck {
  shard: string;
  replicas: ReplicaState[];
  consistent: boolean;
  /** With --repair: rows copied and deleted to make each other replica equal to `source`. */
  repaired?: { source: string; node: string; copied: number; deleted: number }[];
}

export interface CheckReport {
  ok: boolean;
  shards: ShardCheck[];
  /** One line per difference or unreachable node, naming shard and node. */
  problems: string[];
}

/** (id, version) pairs of one replica's `table` (of shard `shard`), in id order, a page at a time. */
export async function* listRows(nodes: SphinxNodes, node: string, table: string, shard: string): AsyncGenerator<{ id: bigint; ver: number }> {
  let after = 0n;
  for (;;) {
    const [rows] = (await nodes.run(
      node,
      [
        {
          sql: `SELECT id, ver FROM ${table} WHERE id > ${after.toString()} ORDER BY id ASC LIMIT ${PAGE_ROWS} OPTION max_matches=${PAGE_ROWS}`,
        },
      ],
      shard,
    )) as { id: string; ver: string | number }[][];
    const page = rows ?? [];
    for (const r of page) yield { id: BigInt(r.id), ver: Number(r.ver) };
    const last = page[page.length - 1];
    if (page.length < PAGE_ROWS || last === undefined) return;
    after = BigInt(last.id);
  }
}

/** Ids in `fromTable` that `inTable` lacks, on one node (both listed in id order): what a rebuild's switch drops. */
export async function countMissing(nodes: SphinxNodes, node: string, fromTable: string, inTable: string, shard: string): Promise<number> {
  const a = listRows(nodes, node, fromTable, shard);
  const b = listRows(nodes, node, inTable, shard);
  let missing = 0;
  let x = await a.next();
  let y = await b.next();
  while (!x.done) {
    if (y.done || x.value.id < y.value.id) {
      missing++;
      x = await a.next();
    } else if (y.value.id < x.value.id) y = await b.next();
    else {
      x = await a.next();
      y = await b.next();
    }
  }
  return missing;
}

async function stateOf(nodes: SphinxNodes, node: string, table: string, shard: string): Promise<ReplicaState> {
  try {
    const hash = createHash('sha256');
    let docs = 0;
    for await (const r of listRows(nodes, node, table, shard)) {
      hash.update(`${r.id}:${r.ver}\n`);
      docs++;
    }
    return { node, docs, digest: hash.digest('hex').slice(0, 16) };
  } catch (err) {
    return { node, docs: null, digest: null, error: reasonOf(err).replace(/^ruyi: /, '') };
  }
}

/** Compares every shard's replicas: document count and a digest of ids and content versions. */
export async function checkCluster(config: ClusterConfig, nodes: SphinxNodes): Promise<CheckReport> {
  const shards = await Promise.all(
    config.shards.map(async (s): Promise<ShardCheck> => {
      const replicas = await Promise.all(s.replicas.map((node) => stateOf(nodes, node, tableOf(config, s.name), s.name)));
      const reachable = replicas.every((r) => r.digest !== null);
      const consistent = reachable && new Set(replicas.map((r) => r.digest)).size === 1;
      return { shard: s.name, replicas, consistent };
    }),
  );
  const problems: string[] = [];
  for (const s of shards) {
    for (const r of s.replicas) if (r.error !== undefined) problems.push(`shard ${s.shard}: node ${r.node} unreachable: ${r.error}`);
    if (s.replicas.every((r) => r.digest !== null) && !s.consistent) {
      const first = s.replicas[0] as ReplicaState;
      for (const r of s.replicas.slice(1))
        if (r.digest !== first.digest)
          problems.push(
            `shard ${s.shard}: node ${r.node} differs from node ${first.node} (${r.docs} documents, digest ${r.digest}; ${first.docs}, ${first.digest})`,
          );
    }
  }
  return { ok: problems.length === 0, shards, problems };
}

interface StoredRow {
  id: string;
  rid: string;
  ttl: string;
  bdy: string;
  tgs: string;
  dat: string;
  fld: string;
  load_id: string;
}

function storedDoc(r: StoredRow): DocInput {
  return {
    id: JSON.parse(r.rid),
    title: JSON.parse(r.ttl),
    body: JSON.parse(r.bdy),
    tags: JSON.parse(r.tgs),
    date: JSON.parse(r.dat),
    fields: JSON.parse(r.fld),
  };
}

/**
 * Makes `target` equal to `source` for one shard: rows the target lacks or holds in another
 * version are rebuilt from the source's stored fields (the full-text fields are not stored
 * by Sphinx, so they are analyzed again, by the same analyzer), rows only the target has are
 * deleted; then FLUSH RTINDEX. The two listings are merged in id order, a page at a time.
 */
async function repairReplica(
  nodes: SphinxNodes,
  analyzer: Analyzer,
  table: string,
  shard: string,
  source: string,
  target: string,
): Promise<{ copied: number; deleted: number }> {
  const copy: bigint[] = [];
  const drop: bigint[] = [];
  let copied = 0;
  let deleted = 0;
  const flushCopy = async () => {
    if (copy.length === 0) return;
    const list = copy.splice(0).map((id) => idLiteral(id.toString()));
    const [rows] = (await nodes.run(
      source,
      [{ sql: `SELECT id, rid, ttl, bdy, tgs, dat, fld, load_id FROM ${table} WHERE id IN (${list.join(',')}) LIMIT ${list.length}` }],
      shard,
    )) as StoredRow[][];
    const values = (rows ?? []).map((r) => docRow(analyzer, storedDoc(r), true, Number(r.load_id)).values);
    if (values.length > 0)
      await nodes.run(target, [{ sql: `REPLACE INTO ${table} (${COLUMNS.join(',')}) VALUES ${values.join(',')}` }], shard);
    copied += values.length;
  };
  const flushDrop = async () => {
    if (drop.length === 0) return;
    const list = drop.splice(0).map((id) => idLiteral(id.toString()));
    await nodes.run(target, [{ sql: `DELETE FROM ${table} WHERE id IN (${list.join(',')})` }], shard);
    deleted += list.length;
  };
  const a = listRows(nodes, source, table, shard);
  const b = listRows(nodes, target, table, shard);
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (!x.done && (y.done || x.value.id < y.value.id)) {
      copy.push(x.value.id);
      x = await a.next();
    } else if (!y.done && (x.done || y.value.id < x.value.id)) {
      drop.push(y.value.id);
      y = await b.next();
    } else if (!x.done && !y.done) {
      if (x.value.ver !== y.value.ver) copy.push(x.value.id);
      x = await a.next();
      y = await b.next();
    }
    if (copy.length >= COPY_ROWS) await flushCopy();
    if (drop.length >= PAGE_ROWS) await flushDrop();
  }
  await flushCopy();
  await flushDrop();
  await nodes.run(target, [{ sql: `FLUSH RTINDEX ${table}` }], shard);
  return { copied, deleted };
}

/**
 * Checks, and makes every inconsistent shard's replicas equal to its fullest replica (the
 * most documents: a replica that lost commits has fewer), then checks again. A shard with
 * an unreachable replica is left as it is and reported.
 */
export async function repairCluster(config: ClusterConfig, nodes: SphinxNodes): Promise<{ before: CheckReport; after: CheckReport }> {
  const before = await checkCluster(config, nodes);
  const analyzer = Analyzer.load(config.analysis);
  for (const s of before.shards) {
    if (s.consistent || s.replicas.some((r) => r.digest === null)) continue;
    const source = [...s.replicas].sort((p, q) => (q.docs ?? 0) - (p.docs ?? 0))[0] as ReplicaState;
    s.repaired = [];
    for (const r of s.replicas) {
      if (r.node === source.node || r.digest === source.digest) continue;
      const done = await repairReplica(nodes, analyzer, tableOf(config, s.shard), s.shard, source.node, r.node);
      s.repaired.push({ source: source.node, node: r.node, ...done });
    }
  }
  return { before, after: await checkCluster(config, nodes) };
}
