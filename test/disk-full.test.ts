import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isEngineError, openIndex } from '../src/index.js';
import { checkDiskSpace } from '../src/store/disk-space.js';
import { SAMPLE_FILE, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

test('a write that would not fit on the disk is refused with E_DISK_FULL naming the free space', (t) => {
  const dir = tempDir(t);
  const st = statfsSync(dir);
  const free = st.bavail * st.bsize;
  checkDiskSpace(dir, 1024);
  assert.throws(
    () => checkDiskSpace(dir, free + 2 ** 30),
    (err) => isEngineError(err, 'E_DISK_FULL') && /disk full: [\d.]+ MB free/.test(err.message),
  );
});

/** A 40 MB tmpfs, or null where this process may not mount one (not root, no CAP_SYS_ADMIN). */
function smallDisk(t: import('node:test').TestContext): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'ruyi-small-disk-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', dir]);
  t.after(() => {
    if (mount.status === 0) spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return mount.status === 0 ? dir : null;
}

test('a full disk stops indexing with a clear error (exit 3, no crash) and the index stays openable and whole', async (t) => {
  const disk = smallDisk(t);
  if (disk === null) {
    t.skip('cannot mount a small tmpfs here (needs root); the E_DISK_FULL check itself is tested above');
    return;
  }
  const db = join(disk, 'db');
  const first = spawnSync(process.execPath, [BIN, 'index', SAMPLE_FILE, '--db', db, '--threads', '1', '--quiet'], { encoding: 'utf8' });
  assert.equal(first.status, 0, first.stderr);
  // 30 copies of the sample (~40 MB of text) cannot fit in what is left.
  const big = join(tempDir(t), 'big.ndjson');
  const lines = readFileSync(SAMPLE_FILE, 'utf8').trim().split('\n');
  const copies: string[] = [];
  for (let k = 0; k < 30; k++) for (const l of lines) copies.push(l.replace(/"id": ?"/, `"id": "${k}-`));
  writeFileSync(big, `${copies.join('\n')}\n`);
  for (const mode of [[], ['--update']]) {
    const r = spawnSync(process.execPath, [BIN, 'index', big, '--db', db, '--threads', '1', '--quiet', ...mode], { encoding: 'utf8' });
    assert.equal(r.status, 3, `${mode}: ${r.stderr}`);
    assert.equal(r.signal, null);
    assert.match(r.stderr, /disk full: [\d.]+ MB free/);
  }
  const index = await openIndex(db, { create: false });
  // The rebuild was thrown away; the update kept the batches it committed before the disk filled.
  assert.ok(index.stats().docs >= lines.length);
  // The update may have committed copies of ls(1) too ("0-manpages-zh:man1/ls.1"): the same page.
  assert.match(index.search('列出目录内容').hits[0]?.id ?? '', /^(\d+-)?manpages-zh:man1\/ls\.1$/);
  assert.equal(index.get('manpages-zh:man1/ls.1')?.title, 'ls - 列出目录内容');
  await index.close(); // before the file system is unmounted
});
