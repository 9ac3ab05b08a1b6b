/**
 * The package as a server installs it: `npm pack`, then `npm install --omit=dev` of the
 * tarball in an empty directory (no TypeScript, no tsx, no compiler), and the installed bin
 * indexes, searches and serves the shipped sample. A runtime import that only a
 * devDependency satisfies, or a file missing from `files`, fails here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SAMPLE_FILE, tempDir } from './helpers.js';
import { ROOT, runBounded, tail, userEnv } from './install-helpers.js';
import { startBin } from './serve-helpers.js';

const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/**
 * The only packages of the root install with install scripts, and why each compiles nothing:
 * a server with 512 MB cannot run a C++ compiler beside npm (better-sqlite3's build of
 * SQLite got `npm ci` OOM-killed in a 512 MB cgroup; it lives in scripts/bench now).
 */
const INSTALL_SCRIPTS_ALLOWED: Record<string, string> = {
  lmdb: 'node-gyp-build-optional-packages: loads the prebuilt @lmdb/lmdb-<platform> package',
  'msgpackr-extract': "node-gyp-build-optional-packages: loads the prebuilt @msgpackr-extract/* package (optional: lmdb's fast path)",
  esbuild: "postinstall checks the prebuilt @esbuild/<platform> binary (tsx's, dev only)",
};

test('the root install runs no install script that could compile native code', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { hasInstallScript?: boolean }>;
  };
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  const unexpected = withScripts.filter((name) => !(name in INSTALL_SCRIPTS_ALLOWED));
  assert.deepEqual(
    unexpected,
    [],
    `install scripts in the root lock: ${unexpected.join(', ')} (benchmark-only packages go in scripts/bench)`,
  );
  assert.ok(withScripts.includes('lmdb'), 'the lock no longer lists lmdb: update the list above');
});

test('npm pack gives a package that installs with --omit=dev and indexes, searches and serves the sample', async (t) => {
  const dir = tempDir(t, 'ruyi-pack-');
  const env = userEnv();
  // dist/ is built by `npm test` (pretest) from this checkout: pack it as it is. (`prepare`
  // would rebuild it, the same files, in another 20-60 s.)
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    }),
  ) as { filename: string; files: { path: string }[] }[];
  const tarball = join(dir, packed[0]?.filename ?? '');
  const files = packed[0]?.files.map((f) => f.path) ?? [];
  for (const needed of ['package.json', 'dist/src/cli/main.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dict/stopwords.txt']) {
    assert.ok(files.includes(needed), `${needed} is not in the tarball (is dist/ built?)`);
  }
  const stray = files.filter((f) => /^(test|scripts|workers)\//.test(f) || (f.startsWith('src/') && !f.startsWith('src/serve/page/')));
  assert.deepEqual(stray, [], 'sources, tests or scripts in the tarball');

  const app = join(dir, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'ruyi-install-test', private: true, type: 'module' })}\n`);
  const install = await runBounded('npm', ['install', '--omit=dev', '--no-package-lock', tarball], { cwd: app, env, timeoutMs: 300_000 });
  assert.equal(install.status, 0, tail(install));
  t.diagnostic(`npm install --omit=dev of the tarball: ${install.seconds.toFixed(1)} s`);
  const installed = JSON.parse(readFileSync(join(app, 'node_modules/ruyi/package.json'), 'utf8')) as { version: string };
  assert.equal(installed.version, rootPackage.version);
  // What follows runs without TypeScript or its loader.
  for (const dev of ['typescript', 'tsx']) assert.ok(!existsSync(join(app, 'node_modules', dev)), `${dev} was installed`);

  // The bin as npm linked it (symlink, shebang, executable bit), in plain Node.
  const ruyi = join(app, 'node_modules/.bin/ruyi');
  const db = join(dir, 'db');
  const index = await runBounded(ruyi, ['index', SAMPLE_FILE, '--db', db, '--threads', '1'], { cwd: app, env, timeoutMs: 180_000 });
  assert.equal(index.status, 0, tail(index));
  assert.match(index.stdout, /with 350 documents .*, 1 thread, /);

  const search = await runBounded(ruyi, ['search', '列出目录内容', '--db', db, '--json'], { cwd: app, env, timeoutMs: 60_000 });
  assert.equal(search.status, 0, tail(search));
  const result = JSON.parse(search.stdout) as { total: number; hits: { id: string }[] };
  assert.equal(result.hits[0]?.id, 'manpages-zh:man1/ls.1');

  // The library by its name, through the package's exports.
  const script = `import { openIndex } from 'ruyi';
    const index = await openIndex(${JSON.stringify(db)}, { create: false });
    const { total, hits } = index.search('列出目录内容');
    await index.close();
    console.log(JSON.stringify({ total, first: hits[0].id }));`;
  const library = await runBounded(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env, timeoutMs: 60_000 });
  assert.equal(library.status, 0, tail(library));
  assert.deepEqual(JSON.parse(library.stdout), { total: result.total, first: 'manpages-zh:man1/ls.1' });

  const server = await startBin(db, [], env, join(app, 'node_modules/ruyi/dist/src/cli/main.js'));
  t.after(() => server.stop());
  const health = await fetch(`${server.url}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'available' });
  assert.equal(await server.stop(), 0, server.stderr());
});
