import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const hasTime = existsSync('/usr/bin/time');

export interface Peak {
  /** From /usr/bin/time -v when it exists, else the peakRssMb the CLI reports. */
  maxRssMb: number;
  /** Peak RssAnon: memory only the process holds. */
  anonMb: number;
  /** Peak RssFile: mapped file pages (the index), which the kernel can drop. */
  fileMb: number;
  seconds: number;
  exit: number | null;
  stdout: string;
}

/**
 * Runs a command (under /usr/bin/time -v when available) and samples /proc/<pid>/status of
 * the process doing the work every 100 ms for the peaks of RssAnon and RssFile: maxRSS
 * alone mixes memory the process holds with pages of memory-mapped files.
 */
export async function measureChild(cmd: string, args: string[]): Promise<Peak> {
  const full = hasTime ? ['/usr/bin/time', ['-v', cmd, ...args]] : [cmd, args];
  const started = performance.now();
  const child = spawn(full[0] as string, full[1] as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  let anon = 0;
  let file = 0;
  const sample = setInterval(() => {
    // With /usr/bin/time, the process doing the work is its child.
    let pid = child.pid;
    try {
      if (hasTime) pid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      anon = Math.max(anon, Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0));
      file = Math.max(file, Number(/RssFile:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // not started yet, or exited
    }
  }, 100);
  const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sample);
  const seconds = (performance.now() - started) / 1000;
  const timeRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
  let maxRssMb = timeRss ? Number(timeRss) / 1024 : 0;
  const reported = /"peakRssMb":([\d.]+)/.exec(stdout)?.[1];
  if (!maxRssMb && reported) maxRssMb = Number(reported);
  if (exit !== 0) process.stderr.write(stderr.slice(-2000));
  return { maxRssMb, anonMb: anon / 1024, fileMb: file / 1024, seconds, exit, stdout };
}
