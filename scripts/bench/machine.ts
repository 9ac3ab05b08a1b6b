import os from 'node:os';

/** What the bench ran on; the load average matters most on this shared machine (its speed drifts with it). */
export function machineInfo() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    ramGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadAverageAtStart: os.loadavg()[0] as number,
  };
}

/** A console line with the UTC time of day: a long bench's log says when each run happened. */
export function log(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}
