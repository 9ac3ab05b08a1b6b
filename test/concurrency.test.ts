import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { docId, makeDoc, POOL } from '../scripts/crash/plan.js';
import { runChild } from '../scripts/crash-trials.js';
import { verifyIndex } from '../src/index.js';
import { tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const WRITER = fileURLToPath(new URL('../scripts/crash/writer.ts', import.meta.url));
const READER = fileURLToPath(new URL('../scripts/crash/reader.ts', import.meta.url));

test('one process writes (updates, removes, a rebuild) while two others search: zero errors, no half-written document', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'db');
  const stop = join(dir, 'stop');
  const dump = join(dir, 'dump.ndjson');
  writeFileSync(dump, `${Array.from({ length: POOL }, (_, i) => JSON.stringify(makeDoc(docId(i), 'R1'))).join('\n')}\n`);
  const readers = [runChild(['--import', 'tsx', READER, db, stop]), runChild(['--import', 'tsx', READER, db, stop])];
  try {
    await runChild([BIN, 'index', dump, '--db', db, '--threads', '1', '--quiet']);
    await runChild(['--import', 'tsx', WRITER, db, '21', '15']);
    await runChild([BIN, 'index', dump, '--db', db, '--threads', '1', '--quiet']);
    await runChild(['--import', 'tsx', WRITER, db, '22', '15']);
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
