import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { type ClusterConfig, planCluster, writeCluster } from '../src/cluster/cluster-config.js';
import { freePorts } from '../src/cluster/free-ports.js';
import { nodePid, startNodes } from '../src/cluster/node-process.js';

/** Every searchd a test started, killed when the process exits whatever happened (a failed test, a crash). */
const started = new Set<number>();
process.on('exit', () => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * A fresh directory for a cluster that a test drives through the CLI: after the test, every
 * searchd whose pid file is in it is killed, then it is removed (in that order: node:test
 * runs `after` hooks in the order they were added, so one hook does both).
 */
export function cliClusterDir(t: TestContext): string {
  const base = mkdtempSync(join(tmpdir(), 'ruyi-cluster-cli-'));
  const dir = join(base, 'c');
  t.after(() => {
    for (let i = 0; i < 64; i++) {
      const pid = nodePid(dir, `n${i}`);
      if (pid !== null) process.kill(pid, 'SIGKILL');
    }
    rmSync(base, { recursive: true, force: true });
  });
  return dir;
}

export interface TestCluster {
  dir: string;
  config: ClusterConfig;
  /** The searchd pid of node i (null when it is not running). */
  pid(i: number): number | null;
  /** kill -9 of node i, waiting until it is gone. */
  kill(i: number): Promise<void>;
  /** Starts node i again (or every node that is down). */
  restart(i?: number): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A real cluster on loopback: `nodes` searchd processes on free ports in a fresh directory,
 * stopped with SIGKILL and removed after the test (and on exit, whatever happened).
 */
export async function startCluster(
  t: TestContext,
  o: { nodes: number; shards: number; replicas: number; pinyin?: boolean; start?: boolean },
): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ruyi-cluster-'));
  const config = planCluster({
    nodes: o.nodes,
    shards: o.shards,
    replicas: o.replicas,
    ports: await freePorts(o.nodes),
    analysis: { pinyin: o.pinyin === true },
  });
  writeCluster(dir, config);
  const track = () => {
    for (const n of config.nodes) {
      const pid = nodePid(dir, n.name);
      if (pid !== null) started.add(pid);
    }
  };
  const cluster: TestCluster = {
    dir,
    config,
    pid: (i) => nodePid(dir, (config.nodes[i] as ClusterConfig['nodes'][number]).name),
    async kill(i) {
      const pid = cluster.pid(i);
      if (pid === null) return;
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await new Promise((r) => setTimeout(r, 10));
      started.delete(pid);
    },
    async restart(i) {
      await startNodes(dir, config, i === undefined ? {} : { only: [(config.nodes[i] as ClusterConfig['nodes'][number]).name] });
      track();
    },
  };
  t.after(async () => {
    for (let i = 0; i < config.nodes.length; i++) await cluster.kill(i);
    rmSync(dir, { recursive: true, force: true });
  });
  if (o.start !== false) {
    try {
      await startNodes(dir, config);
    } finally {
      track();
    }
  }
  return cluster;
}
