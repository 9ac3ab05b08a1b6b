import { resolve } from 'node:path';
import { type ClusterConfig, planCluster, readClusterConfig, writeCluster } from '../../cluster/cluster-config.js';
import { type CheckReport, checkCluster, repairCluster } from '../../cluster/cluster-check.js';
import { freePorts } from '../../cluster/free-ports.js';
import { nodeStatuses, startNodes, stopNodes } from '../../cluster/node-process.js';
import { SphinxNodes } from '../../cluster/sphinx-nodes.js';
import { EXIT } from '../exit-codes.js';
import { printError, printJson, printLine } from '../output.js';

export interface ClusterInitFlags {
  nodes?: number;
  shards: number;
  replicas: number;
  host?: string;
  basePort?: number;
  hosts?: string;
  pinyin?: boolean;
  traditional?: boolean;
  json?: boolean;
}

/** `ruyi cluster init DIR`: cluster.json and one searchd config per node. */
export async function clusterInitCommand(dir: string, f: ClusterInitFlags): Promise<number> {
  const hosts = f.hosts
    ?.split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const count = hosts?.length ?? f.nodes ?? 1;
  const ports = hosts === undefined && f.basePort === undefined ? await freePorts(count, f.host ?? '127.0.0.1') : undefined;
  const config = planCluster({
    nodes: count,
    shards: f.shards,
    replicas: f.replicas,
    ...(f.host === undefined ? {} : { host: f.host }),
    ...(f.basePort === undefined ? {} : { basePort: f.basePort }),
    ...(hosts === undefined ? {} : { hosts }),
    ...(ports === undefined ? {} : { ports }),
    analysis: { pinyin: f.pinyin === true, traditional: f.traditional === true },
  });
  writeCluster(dir, config);
  if (f.json) printJson(config);
  else {
    printLine(`cluster ${resolve(dir)}: ${config.nodes.length} nodes, ${config.shards.length} shards, ${f.replicas} replicas each`);
    for (const n of config.nodes)
      printLine(
        `  ${n.name} ${n.address}  ${n.local ? `searchd -c ${resolve(dir, 'nodes', n.name, 'searchd.conf')}` : '(remote: copy its searchd.conf there)'}`,
      );
  }
  return EXIT.ok;
}

function load(dir: string): ClusterConfig {
  return readClusterConfig(dir);
}

/** `ruyi cluster up DIR`: starts the local nodes' searchd and waits until each accepts connections. */
export async function clusterUpCommand(dir: string, f: { searchd?: string; node?: string[]; json?: boolean }): Promise<number> {
  const statuses = await startNodes(dir, readClusterConfig(dir, { nodesOnly: true }), {
    ...(f.searchd === undefined ? {} : { searchd: f.searchd }),
    ...(f.node === undefined ? {} : { only: f.node }),
  });
  return printStatuses(statuses, f.json, false);
}

/** `ruyi cluster down DIR`: stops the local nodes (searchd saves its indexes on SIGTERM). */
export async function clusterDownCommand(dir: string, f: { node?: string[]; json?: boolean }): Promise<number> {
  const config = readClusterConfig(dir, { nodesOnly: true });
  await stopNodes(dir, config, f.node === undefined ? {} : { only: f.node });
  return printStatuses(await nodeStatuses(dir, config), f.json, false);
}

/** `ruyi cluster status DIR`: every node, its address, pid (local ones) and up/down; exit 3 when one is down. */
export async function clusterStatusCommand(dir: string, f: { json?: boolean }): Promise<number> {
  return printStatuses(await nodeStatuses(dir, readClusterConfig(dir, { nodesOnly: true })), f.json, true);
}

function printStatuses(statuses: Awaited<ReturnType<typeof nodeStatuses>>, json: boolean | undefined, downIsError: boolean): number {
  if (json) printJson({ nodes: statuses });
  else
    for (const s of statuses)
      printLine(`${s.name} ${s.address} ${s.up ? 'up' : 'down'}${s.pid === null ? '' : ` pid ${s.pid}`}${s.error ? ` (${s.error})` : ''}`);
  return downIsError && statuses.some((s) => !s.up) ? EXIT.index : EXIT.ok;
}

/**
 * `ruyi cluster check DIR [--repair]`: every shard's replicas compared (count, digest of ids
 * and content versions); exit 3 naming shard and node on any difference or unreachable node.
 * `--repair` copies from the fullest replica, then checks again (exit 0 when equal now).
 */
export async function clusterCheckCommand(dir: string, f: { repair?: boolean; json?: boolean }): Promise<number> {
  const config = load(dir);
  const nodes = new SphinxNodes();
  try {
    if (f.repair) {
      const { before, after } = await repairCluster(config, nodes);
      if (f.json) printJson({ ...after, before });
      else {
        for (const p of before.problems) printLine(`found: ${p}`);
        for (const s of before.shards)
          for (const r of s.repaired ?? [])
            printLine(`repaired shard ${s.shard} on node ${r.node} from node ${r.source}: ${r.copied} copied, ${r.deleted} deleted`);
        printCheck(after);
      }
      return after.ok ? EXIT.ok : EXIT.index;
    }
    const report = await checkCluster(config, nodes);
    if (f.json) printJson(report);
    else printCheck(report);
    return report.ok ? EXIT.ok : EXIT.index;
  } finally {
    await nodes.close();
  }
}

function printCheck(report: CheckReport): void {
  if (report.ok) {
    const docs = report.shards.reduce((n, s) => n + (s.replicas[0]?.docs ?? 0), 0);
    printLine(`ok: ${report.shards.length} shards, replicas equal, ${docs} documents`);
  } else for (const p of report.problems) printError(p);
}
