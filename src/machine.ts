import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * What this process may use of the machine: memory and CPUs, with a container's limits
 * (cgroup v1 or v2) taken into account, since a small VPS or a container is where a
 * budget matters most.
 */

/** The cgroup's memory limit, or 0 (process.constrainedMemory() is 0 or 2^64 when unlimited). */
function cgroupLimit(): number {
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  return constrained > 0 && constrained < os.totalmem() ? constrained : 0;
}

/** The smaller of physical memory and the cgroup limit. */
export function machineMemoryBytes(): number {
  return cgroupLimit() || os.totalmem();
}

/** Whether machineMemoryBytes() is a container's limit rather than the machine's RAM. */
export function memoryIsConstrained(): boolean {
  return cgroupLimit() > 0;
}

function readNumbers(file: string): number[] | null {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split(/\s+/)
      .map((w) => (w === 'max' ? Number.POSITIVE_INFINITY : Number(w)));
  } catch {
    return null;
  }
}

/**
 * CPUs the cgroup's CPU quota allows (`cpu.max` in v2, `cpu.cfs_quota_us` / `cpu.cfs_period_us`
 * in v1), rounded up; Infinity without a quota. os.availableParallelism() sees CPU affinity
 * but not a quota: a container given 1 CPU of a 16-core host would otherwise get 4 threads
 * that take turns on one CPU, each holding a dictionary.
 */
export function cpuQuotaCores(): number {
  const v2 = readNumbers('/sys/fs/cgroup/cpu.max');
  if (v2 !== null && v2.length === 2) {
    const [quota, period] = v2 as [number, number];
    return Number.isFinite(quota) && period > 0 ? Math.max(1, Math.ceil(quota / period)) : Number.POSITIVE_INFINITY;
  }
  const quota = readNumbers('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')?.[0];
  const period = readNumbers('/sys/fs/cgroup/cpu/cpu.cfs_period_us')?.[0];
  if (quota !== undefined && period !== undefined && quota > 0 && period > 0) return Math.max(1, Math.ceil(quota / period));
  return Number.POSITIVE_INFINITY;
}

/** CPUs this process can run on at once: affinity and quota. */
export function usableCores(): number {
  return Math.max(1, Math.min(os.availableParallelism(), cpuQuotaCores()));
}
