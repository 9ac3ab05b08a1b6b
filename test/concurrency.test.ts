import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { docId, makeDoc, POOL } from '../scripts/crash/plan.js';
import { verifyIndex } from '../src/index.js';
import { tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const WRITER = fileURLToPath(new URL('../scripts/crash/writer.ts', import.meta.url));
const READER = fileURLToPath(new URL('../scripts/crash/reader.ts', import.meta.url));

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.stderr.on('data', (b) => {
      err += b;
    });
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}: ${err.slice(-800)}`))));
  });
}

test('one process writes (updates, removes, a rebuild) while two others search: zero errors, no half-written document', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const stop = join(dir, 'stop');
  const dump = join(dir, 'dump.ndjson');
  writeFileSync(dump, `${Array.from({ length: POOL }, (_, i) => JSON.stringify(makeDoc(docId(i), 'R1'))).join('\n')}\n`);
  const readers = [run(['--import', 'tsx', READER, db, stop]), run(['--import', 'tsx', READER, db, stop])];
  try {
    await run([BIN, 'index', dump, '--db', db, '--threads', '1', '--quiet']);
    await run(['--import', 'tsx', WRITER, db, '21', '15']);
    await run([BIN, 'index', dump, '--db', db, '--threads', '1', '--quiet']);
    await run(['--import', 'tsx', WRITER, db, '22', '15']);
  } finally {
    writeFileSync(stop, '');
  }
  for (const out of await Promise.all(readers)) {
    const r = JSON.parse(out);
    assert.equal(r.errorCount, 0, JSON.stringify(r.errors));
    assert.ok(r.queries > 20 && r.checked > 20, out);
  }
  const check = await verifyIndex(db, { deep: true });
  assert.equal(check.ok, true, JSON.stringify(check.problems.slice(0, 5)));
});
