import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The checkout under test. */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The environment of a user's shell, for an npm run from a test: without the variables
 * `npm test` exports about this checkout (npm_package_*, npm_lifecycle_*, INIT_CWD). The
 * cache is preferred over the registry (the root `npm ci` has filled it): the tests measure
 * the install, not the network.
 */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_package_|npm_lifecycle_|INIT_CWD$)/.test(k)));
  return { ...env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', ...extra };
}

export interface BoundedRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  timedOut: boolean;
}

/**
 * Runs a command in a process group of its own and waits for it; past `timeoutMs` the whole
 * group is killed (npm's children and node-gyp's compilers too), so a stuck install ends the
 * test instead of outliving it.
 */
export function runBounded(
  cmd: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<BoundedRun> {
  const started = performance.now();
  const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, seconds: (performance.now() - started) / 1000, timedOut });
    });
  });
}

/** What a failed run printed, for an assertion message (the tail: npm's logs are long). */
export function tail(run: BoundedRun, chars = 4000): string {
  return `exit ${run.status}, signal ${run.signal}${run.timedOut ? ' (timed out)' : ''} after ${run.seconds.toFixed(0)} s\n--- stdout\n${run.stdout.slice(-chars)}\n--- stderr\n${run.stderr.slice(-chars)}`;
}
