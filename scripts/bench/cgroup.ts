import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A memory cgroup to run one child in (measureChild's `cgroupDir`), and what happened in it. */
export interface MemoryCgroup {
  dir: string;
  kind: 'v2' | 'v1';
  /** OOM kills in the group so far (v2 memory.events oom_kill; v1 memory.oom_control oom_kill). */
  oomKills(): number;
  /** The group's peak charge in MiB (v2 memory.peak, kernel 5.19+; v1 memory.max_usage_in_bytes), if known. */
  peakMb(): number | undefined;
  remove(): void;
}

const read = (file: string): string => readFileSync(file, 'utf8');
const counter = (text: string, key: string): number => Number(new RegExp(`^${key} (\\d+)`, 'm').exec(text)?.[1] ?? 0);

/** Our own cgroup's path in a hierarchy: `0::/x` (v2) or `N:memory:/x` (v1), from /proc/self/cgroup. */
function ownPath(v1Controller?: string): string | undefined {
  for (const line of read('/proc/self/cgroup').split('\n')) {
    const [, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (v1Controller === undefined ? controllers === '' && line.startsWith('0:') : controllers?.split(',').includes(v1Controller))
      return path;
  }
  return undefined;
}

function tryV2(name: string, limitBytes: number): MemoryCgroup | string {
  // A pure v2 mount at /sys/fs/cgroup, or the unified hierarchy of a hybrid setup.
  for (const mount of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    if (!existsSync(join(mount, 'cgroup.controllers'))) continue;
    if (!read(join(mount, 'cgroup.controllers')).split(/\s+/).includes('memory')) {
      return `cgroup v2 at ${mount} has no memory controller (it is bound to a v1 hierarchy)`;
    }
    // The root may hold processes and delegate controllers; a nested cgroup with processes may not
    // (v2's no-internal-process rule), so the group goes under the root, as ruyi-bench-N.
    try {
      const control = join(mount, 'cgroup.subtree_control');
      if (!read(control).split(/\s+/).includes('memory')) writeFileSync(control, '+memory');
      const dir = join(mount, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'memory.max'), String(limitBytes));
      // No swap to hide the overrun in (this machine has none; a host with swap would).
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
      return {
        dir,
        kind: 'v2',
        oomKills: () => counter(read(join(dir, 'memory.events')), 'oom_kill'),
        peakMb: () => (existsSync(join(dir, 'memory.peak')) ? Number(read(join(dir, 'memory.peak'))) / 2 ** 20 : undefined),
        remove: () => rmdirSync(dir),
      };
    } catch (error) {
      return `cgroup v2 at ${mount}: ${(error as Error).message}`;
    }
  }
  return 'no cgroup v2 mount';
}

function tryV1(name: string, limitBytes: number): MemoryCgroup | string {
  const mount = '/sys/fs/cgroup/memory';
  if (!existsSync(join(mount, 'memory.limit_in_bytes'))) return 'no cgroup v1 memory hierarchy';
  try {
    // Under our own group (a container's), where we may create children.
    const dir = join(mount, ownPath('memory') ?? '/', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
    // With swap accounting, cap memory+swap too, so nothing escapes to swap.
    if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) {
      try {
        writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
      } catch {
        // swap accounting off: nothing to cap
      }
    }
    return {
      dir,
      kind: 'v1',
      oomKills: () => counter(read(join(dir, 'memory.oom_control')), 'oom_kill'),
      peakMb: () => Number(read(join(dir, 'memory.max_usage_in_bytes'))) / 2 ** 20,
      remove: () => rmdirSync(dir),
    };
  } catch (error) {
    return `cgroup v1 at ${mount}: ${(error as Error).message}`;
  }
}

/**
 * Creates a memory cgroup limited to `limitBytes` (v2 first, then v1), or returns why neither
 * works here. (`systemd-run --scope -p MemoryMax=` needs systemd as PID 1 and a bus, which
 * containers rarely have, and it makes the same kind of group; so it is not tried.)
 */
export function memoryCgroup(name: string, limitBytes: number): MemoryCgroup | string {
  const v2 = tryV2(name, limitBytes);
  if (typeof v2 !== 'string') return v2;
  const v1 = tryV1(name, limitBytes);
  if (typeof v1 !== 'string') return v1;
  return `${v2}; ${v1}`;
}
