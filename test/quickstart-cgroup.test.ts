/**
 * The README's quick start as a new user on a 512 MB server runs it: a fresh copy of the
 * repository (no node_modules, no dist/), the README's own command line (`npm ci`, index the
 * shipped sample, search it), inside a memory cgroup of 512 MB with swap counted. It must
 * complete, nothing killed, and npm must have compiled nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { memoryCgroup } from '../scripts/bench/cgroup.js';
import { tempDir } from './helpers.js';
import { ROOT, runBounded, tail, userEnv } from './install-helpers.js';

const LIMIT_MB = 512;
/** Measured: about 45-60 s on a shared 2-core machine (npm ci ~45 s with tsc, index ~10 s). */
const RUN_TIMEOUT_MS = 8 * 60_000;

/** The one-line quick start: the README's first `npm ci && ...` line under "## Quick start". */
function quickStartCommand(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const line = section.split('\n').find((l) => l.startsWith('npm ci && '));
  assert.ok(line !== undefined, 'README: no `npm ci && ...` line under "## Quick start"');
  assert.match(line, /ruyi index test\/fixtures\/sample\/articles\.ndjson --db (\S+) .*ruyi search /);
  return line;
}

/** The checkout as a fresh clone has it: tracked files and new ones git does not ignore, as in the working tree. */
function copyCheckout(dest: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  for (const file of files.split('\0')) {
    if (file === '' || !existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dest, file));
  }
}

/** Packages that ran node-gyp: it leaves build/config.gypi behind. */
function compiledPackages(nodeModules: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    const names = entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) if (existsSync(join(nodeModules, name, 'build/config.gypi'))) found.push(name);
  }
  return found;
}

test(`the README quick start completes in a ${LIMIT_MB} MB memory cgroup from a fresh copy`, {
  timeout: RUN_TIMEOUT_MS + 60_000,
}, async (t) => {
  const command = quickStartCommand();
  const cgroup = memoryCgroup(`ruyi-quickstart-${process.pid}`, LIMIT_MB * 2 ** 20);
  if (typeof cgroup === 'string') {
    t.skip(`no ${LIMIT_MB} MB memory cgroup on this machine: ${cgroup}`);
    return;
  }
  t.after(() => {
    try {
      cgroup.remove();
    } catch {
      // a process is still leaving; the kernel frees the group with it
    }
  });
  const dir = tempDir(t, 'ruyi-quickstart-');
  const repo = join(dir, 'ruyi');
  copyCheckout(repo);
  assert.ok(!existsSync(join(repo, 'node_modules')) && !existsSync(join(repo, 'dist')));
  const db = join(dir, 'sample-db');
  const line = command.replace(/--db \S+/g, `--db ${db}`);

  // The shell enters the cgroup, then runs the README's line; npm and its children inherit the group.
  const run = await runBounded('sh', ['-c', `echo $$ > ${join(cgroup.dir, 'cgroup.procs')} && exec sh -c "$0"`, line], {
    cwd: repo,
    env: userEnv(),
    timeoutMs: RUN_TIMEOUT_MS,
  });
  const peak = cgroup.peakMb();
  // The group's charge counts page cache too (reclaimed at the limit), so it sits near the limit.
  const charge = peak === undefined ? 'not reported' : `${Math.round(peak)} MB`;
  t.diagnostic(`${run.seconds.toFixed(0)} s; the group's peak charge ${charge} of ${LIMIT_MB} MB`);
  assert.equal(cgroup.oomKills(), 0, `the OOM killer ran in the ${LIMIT_MB} MB cgroup\n${tail(run)}`);
  assert.equal(run.timedOut, false, tail(run));
  assert.equal(run.status, 0, tail(run));
  assert.match(run.stdout, /rebuilt the index with 350 documents/);
  assert.match(run.stdout, /1\. ls - 列出目录内容/);
  assert.deepEqual(compiledPackages(join(repo, 'node_modules')), [], 'npm ci compiled native code');
});
