import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { EngineError } from '../errors.js';
import { type ClusterConfig, nodeConfigFile, nodePidFile } from './cluster-config.js';
import { ClusterError, reasonOf } from './cluster-error.js';
import { SphinxNodes } from './sphinx-nodes.js';

const execFileAsync = promisify(execFile);

/** How long `up` waits for a node to accept connections (a binlog replay takes time), and `down` for it to exit. */
export const START_TIMEOUT_MS = 30_000;
export const STOP_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

export interface NodeStatus {
  name: string;
  address: string;
  local: boolean;
  /** The searchd pid of a local node, when its pid file names a live process. */
  pid: number | null;
  up: boolean;
  /** Why it is down, when it is. */
  error?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a local node's searchd, or null when it is not running. */
export function nodePid(dir: string, node: string): number | null {
  const file = nodePidFile(dir, node);
  if (!existsSync(file)) return null;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
}

async function accepts(nodes: SphinxNodes, address: string): Promise<string | null> {
  try {
    await nodes.run(address, [{ sql: 'SHOW STATUS' }], null, 2000);
    return null;
  } catch (err) {
    return (err as Error).message.replace(/^ruyi: node \S+: /, '');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the searchd of every local node that is not running (or only `only`) and waits
 * until each accepts connections. searchd daemonizes; its pid is in its pid file.
 */
export async function startNodes(
  dir: string,
  config: ClusterConfig,
  options: { searchd?: string; only?: string[] } = {},
): Promise<NodeStatus[]> {
  const searchd = options.searchd ?? 'searchd';
  const nodes = new SphinxNodes();
  try {
    await Promise.all(
      config.nodes
        .filter((n) => n.local && (options.only === undefined || options.only.includes(n.name) || options.only.includes(n.address)))
        .map(async (n) => {
          if (nodePid(dir, n.name) === null) {
            try {
              await execFileAsync(searchd, ['-c', nodeConfigFile(dir, n.name)], { timeout: START_TIMEOUT_MS });
            } catch (err) {
              const e = err as { code?: string; stdout?: string; stderr?: string };
              if (e.code === 'ENOENT')
                throw new EngineError('E_CONFIG', `cannot run ${searchd}: not found (install sphinxsearch, or give --searchd)`);
              const fatal = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.split('\n').find((l) => /FATAL|ERROR/.test(l)) ?? reasonOf(err);
              throw new ClusterError(n.address, null, `searchd did not start: ${fatal.trim()}`, { cause: err });
            }
          }
          const deadline = Date.now() + START_TIMEOUT_MS;
          for (;;) {
            const why = await accepts(nodes, n.address);
            if (why === null) return;
            if (Date.now() > deadline)
              throw new ClusterError(
                n.address,
                null,
                `searchd started but accepts no connection after ${START_TIMEOUT_MS / 1000} s: ${why}`,
              );
            await sleep(POLL_MS);
          }
        }),
    );
  } finally {
    await nodes.close();
  }
  return nodeStatuses(dir, config);
}

/** Stops local nodes (SIGTERM: searchd saves its RT indexes and exits), waiting for each to exit; SIGKILL after STOP_TIMEOUT_MS. */
export async function stopNodes(dir: string, config: ClusterConfig, options: { only?: string[] } = {}): Promise<void> {
  await Promise.all(
    config.nodes
      .filter((n) => n.local && (options.only === undefined || options.only.includes(n.name) || options.only.includes(n.address)))
      .map(async (n) => {
        const pid = nodePid(dir, n.name);
        if (pid === null) return;
        process.kill(pid, 'SIGTERM');
        const deadline = Date.now() + STOP_TIMEOUT_MS;
        while (alive(pid)) {
          if (Date.now() > deadline) {
            process.kill(pid, 'SIGKILL');
            break;
          }
          await sleep(POLL_MS);
        }
      }),
  );
}

/** Every node with its address, pid (local ones) and whether it accepts connections now. */
export async function nodeStatuses(dir: string, config: ClusterConfig): Promise<NodeStatus[]> {
  const nodes = new SphinxNodes();
  try {
    return await Promise.all(
      config.nodes.map(async (n) => {
        const why = await accepts(nodes, n.address);
        return {
          name: n.name,
          address: n.address,
          local: n.local,
          pid: n.local ? nodePid(dir, n.name) : null,
          up: why === null,
          ...(why === null ? {} : { error: why }),
        };
      }),
    );
  } finally {
    await nodes.close();
  }
}
