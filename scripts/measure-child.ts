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
  /** The signal that ended the measured process (9: the OOM killer, or our timeout), if any. */
  signal?: number;
  /** True when `timeoutMs` passed and the child was killed. */
  timedOut?: boolean;
  stdout: string;
  /** The last 4 KB of stderr (without /usr/bin/time's report). */
  stderrTail: string;
}

export interface MeasureOptions {
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
  /** Kill the child (SIGKILL) after this long: a hung peer must not hang the bench. */
  timeoutMs?: number;
  /**
   * A cgroup directory (v1 or v2) to run the child in: the command starts as
   * `sh -c 'echo $$ > DIR/cgroup.procs; exec ...'`, so it is in the group before it allocates.
   */
  cgroupDir?: string;
}

/**
 * Runs a command (under /usr/bin/time -v when available) and samples /proc/<pid>/status of
 * the process doing the work every 100 ms for the peaks of RssAnon and RssFile: maxRSS
 * alone mixes memory the process holds with pages of memory-mapped files.
 */
export async function measureChild(cmd: string, args: string[], options: MeasureOptions = {}): Promise<Peak> {
  let full: [string, string[]] = hasTime ? ['/usr/bin/time', ['-v', cmd, ...args]] : [cmd, args];
  if (options.cgroupDir !== undefined) {
    // exec keeps the pid: the shell's pid becomes /usr/bin/time's, whose child does the work.
    full = ['/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', options.cgroupDir, full[0], ...full[1]]];
  }
  const started = performance.now();
  const child = spawn(full[0], full[1], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    // A chatty child (LanceDB's Rust logger) must not fill memory: /usr/bin/time's report comes last.
    if (stderr.length > 1e6) stderr = stderr.slice(-100_000);
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
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          // Kill the worker process first (time's child), then time itself.
          try {
            const inner = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
            if (inner > 0) process.kill(inner, 'SIGKILL');
          } catch {
            // already gone
          }
          child.kill('SIGKILL');
        }, options.timeoutMs);
  const [exit, childSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, signal) => resolve([code, signal])),
  );
  clearInterval(sample);
  if (timer) clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const timeRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
  let maxRssMb = timeRss ? Number(timeRss) / 1024 : 0;
  const reported = /"peakRssMb":([\d.]+)/.exec(stdout)?.[1];
  if (!maxRssMb && reported) maxRssMb = Number(reported);
  const bySignal = /Command terminated by signal (\d+)/.exec(stderr)?.[1];
  const signal = bySignal ? Number(bySignal) : childSignal === 'SIGKILL' ? 9 : undefined;
  const report = stderr.indexOf('\tCommand being timed:');
  const stderrTail = (report >= 0 ? stderr.slice(0, report) : stderr).slice(-4000);
  if (exit !== 0 && !options.cgroupDir) process.stderr.write(stderrTail.slice(-2000));
  return { maxRssMb, anonMb: anon / 1024, fileMb: file / 1024, seconds, exit, signal, timedOut, stdout, stderrTail };
}

/**
 * The last JSON object line of a child's stdout (`ruyi index --json` prints one; anything it
 * prints before it, progress or warnings, is skipped), or undefined.
 */
export function lastJsonLine<T>(stdout: string): T | undefined {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.trimStart().startsWith('{'));
  try {
    return line === undefined ? undefined : (JSON.parse(line) as T);
  } catch {
    return undefined;
  }
}
