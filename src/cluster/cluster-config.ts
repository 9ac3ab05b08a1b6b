import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { type AnalysisOptions, analysisFingerprint } from '../analysis/analysis-options.js';
import { ANALYZER_VERSION } from '../analysis/analyzer.js';
import { EngineError } from '../errors.js';
import { ROUTER_HASH } from '../router.js';
import { writeFileDurably } from '../store/durable-file.js';
import { CHARSET_TABLE, STOP_MARK } from './term-codec.js';

export const CLUSTER_FILE = 'cluster.json';
/**
 * 2: the `dates` field (date-keys.ts) and two table sets per shard (`live`). A cluster of
 * another format is refused: make a new one and reindex.
 */
export const CLUSTER_FORMAT = 2;

const address = z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'host:port');

const clusterSchema = z
  .object({
    engine: z.literal('sphinxql'),
    format: z.literal(CLUSTER_FORMAT),
    router: z.literal(ROUTER_HASH),
    analysis: z.object({ pinyin: z.boolean(), traditional: z.boolean(), fingerprint: z.string() }),
    /** Which of each shard's two RT indexes (`s0a`, `s0b`) searches read: a rebuild fills the other, then switches. */
    live: z.enum(['a', 'b']),
    nodes: z.array(z.object({ name: z.string().regex(/^n[0-9]+$/), address, local: z.boolean() })).min(1),
    shards: z.array(z.object({ name: z.string().regex(/^s[0-9]+$/), replicas: z.array(address).min(1) })).min(1),
  })
  .strict();

/** DIR/cluster.json: where every shard's replicas live. Each shard is an RT index of its name on each replica. */
export type ClusterConfig = z.infer<typeof clusterSchema>;

export function isClusterDir(dir: string): boolean {
  return existsSync(join(dir, CLUSTER_FILE));
}

/**
 * DIR/cluster.json, checked. `nodesOnly`: for starting, stopping and listing nodes, which
 * need only the nodes, a cluster of another format or analyzer is read too (so that an
 * upgraded ruyi can still stop the nodes of a cluster it refuses to search).
 */
export function readClusterConfig(dir: string, options: { nodesOnly?: boolean } = {}): ClusterConfig {
  const file = join(dir, CLUSTER_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EngineError('E_CONFIG', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (options.nodesOnly && typeof format === 'number') raw = { live: 'a', ...(raw as object), format: CLUSTER_FORMAT };
  else if (typeof format === 'number' && format !== CLUSTER_FORMAT)
    throw new EngineError(
      'E_META_MISMATCH',
      `${file} is cluster format ${format}, this ruyi has ${CLUSTER_FORMAT} (its shards have other fields): make a new cluster (ruyi cluster init) and reindex`,
    );
  const parsed = clusterSchema.safeParse(raw);
  if (!parsed.success) throw new EngineError('E_CONFIG', `${file}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  const config = parsed.data;
  const known = new Set(config.nodes.map((n) => n.address));
  for (const s of config.shards)
    for (const r of s.replicas) if (!known.has(r)) throw new EngineError('E_CONFIG', `${file}: shard ${s.name} names unknown node ${r}`);
  const want = `${ANALYZER_VERSION}/${analysisFingerprint(config.analysis)}`;
  if (config.analysis.fingerprint !== want && !options.nodesOnly)
    throw new EngineError('E_META_MISMATCH', `${file} was made by analyzer ${config.analysis.fingerprint}, this ruyi has ${want}: reindex`);
  return config;
}

export interface InitOptions {
  nodes?: number;
  shards: number;
  replicas: number;
  host?: string;
  /** First port; node i listens on basePort + i. Default: free ports picked by the OS. */
  basePort?: number;
  /** Real machines instead of local nodes: `h1:port,h2:port`. */
  hosts?: string[];
  analysis?: Partial<AnalysisOptions>;
  /** Ports for local nodes when no base port is given (see freePorts). */
  ports?: number[];
}

/**
 * Places shard k's replica r on node (k + r) mod N: replicas of a shard are on distinct
 * nodes (replicas <= nodes), and shards spread evenly.
 */
export function planCluster(o: InitOptions): ClusterConfig {
  const host = o.host ?? '127.0.0.1';
  const addresses =
    o.hosts ??
    Array.from({ length: o.nodes ?? 0 }, (_, i) => {
      const port = o.basePort !== undefined ? o.basePort + i : o.ports?.[i];
      if (port === undefined) throw new EngineError('E_CONFIG', 'cluster init needs --base-port or free ports');
      return `${host}:${port}`;
    });
  if (addresses.length < 1) throw new EngineError('E_CONFIG', 'cluster init: --nodes must be at least 1 (or give --hosts)');
  for (const a of addresses) if (!address.safeParse(a).success) throw new EngineError('E_CONFIG', `cluster init: ${a} is not host:port`);
  if (new Set(addresses).size !== addresses.length) throw new EngineError('E_CONFIG', 'cluster init: two nodes have the same address');
  if (!Number.isInteger(o.shards) || o.shards < 1 || o.shards > 256) throw new EngineError('E_CONFIG', '--shards must be from 1 to 256');
  if (!Number.isInteger(o.replicas) || o.replicas < 1 || o.replicas > addresses.length)
    throw new EngineError('E_CONFIG', `--replicas must be from 1 to the number of nodes (${addresses.length})`);
  const analysis = { pinyin: o.analysis?.pinyin === true, traditional: o.analysis?.traditional === true };
  return {
    engine: 'sphinxql',
    format: CLUSTER_FORMAT,
    router: ROUTER_HASH,
    analysis: { ...analysis, fingerprint: `${ANALYZER_VERSION}/${analysisFingerprint(analysis)}` },
    live: 'a',
    nodes: addresses.map((a, i) => ({ name: `n${i}`, address: a, local: o.hosts === undefined || isLoopback(a) })),
    shards: Array.from({ length: o.shards }, (_, k) => ({
      name: `s${k}`,
      replicas: Array.from({ length: o.replicas }, (_, r) => addresses[(k + r) % addresses.length] as string),
    })),
  };
}

function isLoopback(addr: string): boolean {
  const host = addr.slice(0, addr.lastIndexOf(':'));
  return host === 'localhost' || host.startsWith('127.');
}

export function nodeDir(dir: string, node: string): string {
  return join(dir, 'nodes', node);
}

export function nodeConfigFile(dir: string, node: string): string {
  return join(nodeDir(dir, node), 'searchd.conf');
}

export function nodePidFile(dir: string, node: string): string {
  return join(nodeDir(dir, node), 'searchd.pid');
}

/** Each shard is two RT indexes on each of its replicas, `<shard>a` and `<shard>b`: one live, one a rebuild fills. */
export const TABLE_SETS = ['a', 'b'] as const;

/** The RT index of `shard` that searches and updates use now. */
export function tableOf(config: ClusterConfig, shard: string): string {
  return `${shard}${config.live}`;
}

/** The config of the other table set: what a rebuild writes, and what it switches to. */
export function otherSet(config: ClusterConfig): ClusterConfig {
  return { ...config, live: config.live === 'a' ? 'b' : 'a' };
}

/** Makes `config.live` the live set (cluster.json replaced atomically and durably): the switch of a rebuild. */
export function switchLive(dir: string, config: ClusterConfig): void {
  writeFileDurably(join(dir, CLUSTER_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

/** The shards a node holds a replica of. */
export function shardsOfNode(config: ClusterConfig, addr: string): string[] {
  return config.shards.filter((s) => s.replicas.includes(addr)).map((s) => s.name);
}

/** Columns of every shard's RT index, in the order REPLACE lists them (see doc-rows.ts). */
export const FIELDS = ['title', 'body', 'tsub', 'bsub', 'tags', 'tchars', 'texact', 'dates'] as const;
export const STRING_ATTRS = ['rid', 'ttl', 'bdy', 'tgs', 'dat', 'fld'] as const;
export const BIGINT_ATTRS = ['date_ms', 'ver', 'load_id'] as const;
export const UINT_ATTRS = ['dated'] as const;

/**
 * One searchd config per node: its RT shards, MySQL-protocol listener, binlog flushed at
 * every commit, no watchdog (a `kill -9` must leave the node down, as a crash would, not be
 * restarted behind the test's back), paths absolute under DIR/nodes/<node>/.
 */
export function searchdConfig(dir: string, config: ClusterConfig, node: ClusterConfig['nodes'][number]): string {
  const home = resolve(nodeDir(dir, node.name));
  const port = node.address.slice(node.address.lastIndexOf(':') + 1);
  const host = node.local ? node.address.slice(0, node.address.lastIndexOf(':')) : '0.0.0.0';
  const tables = shardsOfNode(config, node.address).flatMap((shard) => TABLE_SETS.map((set) => `${shard}${set}`));
  const indexes = tables.map((name) =>
    [
      `index ${name}`,
      '{',
      '  type = rt',
      `  path = ${join(home, 'data', name)}`,
      ...FIELDS.map((f) => `  rt_field = ${f}`),
      ...STRING_ATTRS.map((a) => `  rt_attr_string = ${a}`),
      ...BIGINT_ATTRS.map((a) => `  rt_attr_bigint = ${a}`),
      ...UINT_ATTRS.map((a) => `  rt_attr_uint = ${a}`),
      '  dict = keywords',
      '  min_prefix_len = 1',
      '  index_field_lengths = 1',
      `  stopwords = ${join(home, 'stopwords.txt')}`,
      `  charset_table = ${CHARSET_TABLE}`,
      '  rt_mem_limit = 128M',
      '}',
      '',
    ].join('\n'),
  );
  return [
    '# Written by `ruyi cluster init`; ruyi reads cluster.json, searchd reads this.',
    ...indexes,
    'searchd',
    '{',
    `  listen = ${host}:${port}:mysql41`,
    `  log = ${join(home, 'searchd.log')}`,
    `  query_log = ${join(home, 'query.log')}`,
    `  pid_file = ${join(home, 'searchd.pid')}`,
    `  binlog_path = ${join(home, 'data')}`,
    '  binlog_flush = 1',
    '  max_packet_size = 128M',
    '  workers = threads',
    '  watchdog = 0',
    '  expansion_limit = 32',
    '  read_timeout = 5',
    '  client_timeout = 300',
    '  seamless_rotate = 0',
    '  preopen_indexes = 0',
    '}',
    '',
  ].join('\n');
}

/** Writes cluster.json and each node's searchd.conf, data directory and stopwords file. Refuses a directory that is already a cluster. */
export function writeCluster(dir: string, config: ClusterConfig): void {
  if (!isAbsolute(dir)) dir = resolve(dir);
  if (isClusterDir(dir)) throw new EngineError('E_CONFIG', `${dir} is already a cluster (cluster.json exists)`);
  if (existsSync(join(dir, 'CURRENT'))) throw new EngineError('E_CONFIG', `${dir} is a local ruyi index`);
  for (const node of config.nodes) {
    mkdirSync(join(nodeDir(dir, node.name), 'data'), { recursive: true });
    writeFileSync(join(nodeDir(dir, node.name), 'stopwords.txt'), `${STOP_MARK}\n`);
    writeFileSync(nodeConfigFile(dir, node.name), searchdConfig(dir, config, node));
  }
  writeFileDurably(join(dir, CLUSTER_FILE), `${JSON.stringify(config, null, 2)}\n`);
}
