import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { mulberry32 } from '../scripts/prng.js';
import { verifyCommand } from '../src/cli/commands/verify-command.js';
import { EXIT, exitCodeFor } from '../src/cli/exit-codes.js';
import { isEngineError } from '../src/errors.js';
import { openIndex } from '../src/index.js';
import { shardOf } from '../src/router.js';
import { SEAL_BYTES, sealed } from '../src/store/crc32c.js';
import { readCurrent } from '../src/store/generations.js';
import { FORMAT_VERSION } from '../src/store/index-meta.js';
import { encodePayload } from '../src/store/postings-codec.js';
import { type HitRecord, openShardDbs, readShardState, SegmentKey, type ShardDbs, type StoredDoc } from '../src/store/shard-store.js';
import { ByteReader, ByteWriter } from '../src/store/varint.js';
import { PayloadWalker } from '../src/verify/payload-check.js';
import type { Finding, VerifyReport } from '../src/verify/report.js';
import { verifyIndex } from '../src/verify/verify-index.js';
import { sampleDocs, tempDir } from './helpers.js';

const docs = sampleDocs();
let template = '';

before(async () => {
  // One index of the shipped sample; every corruption test works on its own copy.
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const root = mkdtempSync(join(tmpdir(), 'ruyi-verify-template-'));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  template = join(root, 'db');
  const index = await openIndex(template, { threads: 1 });
  await index.add(docs);
  await index.close();
});

/** A copy of the whole sample index (CURRENT and its generation), and that generation's directory. */
function copyOfIndex(t: Parameters<typeof tempDir>[0]): { root: string; gen: string } {
  const root = join(tempDir(t), 'index');
  cpSync(template, root, { recursive: true });
  return { root, gen: join(root, readCurrent(root) as string) };
}

/** A copy of the sample index's live generation (ruyi.json and the shards), which verifyIndex also takes. */
function copyOfSample(t: Parameters<typeof tempDir>[0]): string {
  const dir = join(tempDir(t), 'db');
  cpSync(join(template, readCurrent(template) as string), dir, { recursive: true });
  return dir;
}

/** Runs `change` in one write transaction on a shard, with lmdb directly (no ruyi code path). */
async function corrupt(dir: string, shard: number, change: (dbs: ShardDbs) => void): Promise<void> {
  const dbs = openShardDbs(dir, shard);
  try {
    dbs.env.transactionSync(() => change(dbs));
  } finally {
    await dbs.env.close();
  }
}

/** The first live document of a shard: its docNum, id and stored row. */
async function firstDoc(dir: string, shard: number): Promise<{ n: number; id: string; stored: StoredDoc }> {
  const dbs = openShardDbs(dir, shard);
  try {
    for (const { key, value } of dbs.hits.getRange({ limit: 1 })) {
      const id = (value as HitRecord)[0];
      return { n: key, id, stored: dbs.docs.get(id) as StoredDoc };
    }
    throw new Error('empty shard');
  } finally {
    await dbs.env.close();
  }
}

function describe(r: VerifyReport): string {
  return JSON.stringify({ problems: r.problems.slice(0, 10), notes: r.notes.slice(0, 10) }, null, 1);
}

function assertClean(r: VerifyReport, docCount: number): void {
  assert.equal(r.ok, true, describe(r));
  assert.equal(r.problemCount, 0, describe(r));
  assert.equal(r.docs, docCount);
}

function find(r: VerifyReport, match: Omit<Partial<Finding>, 'message'> & { message?: RegExp | string }): Finding | undefined {
  const { message, ...fields } = match;
  return r.problems.find(
    (p) =>
      Object.entries(fields).every(([k, v]) => p[k as keyof Finding] === v) &&
      (message === undefined || (typeof message === 'string' ? p.message.includes(message) : message.test(p.message))),
  );
}

function assertProblem(r: VerifyReport, match: Omit<Partial<Finding>, 'message'> & { message?: RegExp | string }): Finding {
  assert.equal(r.ok, false);
  const p = find(r, match);
  assert.ok(p, `expected a problem like ${JSON.stringify({ ...match, message: String(match.message) })}, got ${describe(r)}`);
  return p;
}

test('a fresh index of the sample verifies clean, also deep, after remove/replace and after optimize', async (t) => {
  const clean = await verifyIndex(template, { deep: true });
  assertClean(clean, 350);
  assert.deepEqual(clean.notes, []);
  assert.equal(clean.analyzedDocs, 350);
  assert.equal(clean.shards.length, 4);
  assert.ok(clean.shards.every((s) => s.exists && s.terms > 1000 && s.postings > s.terms && s.bodyChunks === s.docs));

  const { root: dir } = copyOfIndex(t);
  const index = await openIndex(dir, { threads: 1, create: false });
  t.after(() => index.close());
  // Replace ten, remove ten: deleted docNums stay in their segments until a merge.
  const replaced = docs.slice(0, 10).map((d) => ({ ...d, title: `${d.title}（修订版）`, body: `${d.body}\n补充说明：本文已修订。` }));
  await index.add(replaced);
  await index.remove(docs.slice(10, 20).map((d) => d.id));
  await index.flush();
  const edited = await verifyIndex(dir, { deep: true });
  assertClean(edited, 340);
  assert.equal(
    edited.shards.reduce((sum, s) => sum + s.deleted, 0),
    20,
  );
  assert.ok(edited.shards.some((s) => s.segments > 1));

  await index.optimize();
  const optimized = await verifyIndex(dir, { deep: true });
  assertClean(optimized, 340);
  assert.ok(optimized.shards.every((s) => s.segments === 1 && s.deleted === 0));
});

test('verifying while another writer commits sees whole batches only', async (t) => {
  const dir = join(tempDir(t), 'db');
  // Small batches: many commits and merges while the checks run.
  const index = await openIndex(dir, { threads: 1, shards: 2, batchBytes: 16 * 1024 });
  t.after(() => index.close());
  const adding = index.add(docs.slice(0, 200)).then(() => index.flush());
  let done = false;
  void adding.then(() => {
    done = true;
  });
  let runs = 0;
  while (!done || runs === 0) {
    await new Promise((r) => setTimeout(r, 20));
    // Before the first commit a shard has no environment yet: that is a note, not a problem.
    const r = await verifyIndex(dir);
    assert.equal(r.ok, true, describe(r));
    runs++;
  }
  await adding;
  assertClean(await verifyIndex(dir), 200);
  assert.ok(runs >= 2, `${runs}`);
  // The index's own handles on the shards are untouched by the checker's.
  assert.equal(index.stats().docs, 200);
  assert.ok(index.search('列出目录内容').total > 0);
  assertClean(await verifyIndex(dir), 200);
  assert.ok(index.search('列出目录内容').total > 0);
});

/** `data` with a fresh CRC32C: a value whose checksum holds while its contents are wrong (as a writer bug would leave it). */
function resealed(value: Buffer): Buffer {
  return sealed(value.subarray(0, value.length - SEAL_BYTES));
}

/** A copy of a sealed value's data, to edit and store again with resealed(). */
function sealedData(value: Buffer | undefined): Buffer {
  assert.ok(value !== undefined);
  return Buffer.concat([value.subarray(0, value.length - SEAL_BYTES), Buffer.alloc(SEAL_BYTES)]);
}

test('a posting block that is wrong under a valid checksum (a writer bug) is reported with its shard, segment, block and term', async (t) => {
  const dir = copyOfSample(t);
  const segId = readShardStateOf(dir, 1).segments[0]?.id as number;
  let firstTerm = '';
  await corrupt(dir, 1, (dbs) => {
    const block = sealedData(dbs.postings.getBinary([segId, SegmentKey.Block, 0]));
    // Block layout: nTerms, then per term (byte length, UTF-8, payload length); payloads after.
    const r = new ByteReader(block);
    const count = r.uint();
    const heads: number[] = [];
    for (let i = 0; i < count; i++) {
      const term = new TextDecoder().decode(r.bytes(r.uint()));
      if (i === 0) firstTerm = term;
      heads.push(r.uint());
    }
    // The first payload starts with its posting count: one more than it holds.
    assert.ok((block[r.pos] as number) < 0x7f);
    block[r.pos] = (block[r.pos] as number) + 1;
    dbs.postings.putSync([segId, SegmentKey.Block, 0], resealed(block));
  });
  const r = await verifyIndex(dir);
  assertProblem(r, { check: 'block', shard: 1, segment: segId, block: 0, term: firstTerm, message: /postings do not decode/ });
  assert.equal(r.problemCount, 1, describe(r));

  // A byte of a term turned into invalid UTF-8.
  await corrupt(dir, 1, (dbs) => {
    const block = sealedData(dbs.postings.getBinary([segId, SegmentKey.Block, 2]));
    const r0 = new ByteReader(block);
    r0.uint();
    r0.uint();
    block[r0.pos] = 0xff;
    dbs.postings.putSync([segId, SegmentKey.Block, 2], resealed(block));
  });
  assertProblem(await verifyIndex(dir), { check: 'block', shard: 1, segment: segId, block: 2, message: /not valid UTF-8/ });
});

function readShardStateOf(dir: string, shard: number) {
  const dbs = openShardDbs(dir, shard);
  try {
    return readShardState(dbs);
  } finally {
    void dbs.env.close();
  }
}

test('a deleted docs row: the hit, the counts and the postings of its docNum are reported', async (t) => {
  const dir = copyOfSample(t);
  const { n, id } = await firstDoc(dir, 2);
  await corrupt(dir, 2, (dbs) => dbs.docs.removeSync(id));
  const r = await verifyIndex(dir);
  assertProblem(r, { check: 'hit', shard: 2, doc: n, id, message: /no docs row/ });
  assertProblem(r, { check: 'stats', shard: 2, message: /docs is 77, recomputed 76/ });
  assertProblem(r, { check: 'postings', shard: 2, doc: n, message: /neither a live document nor on the deleted list/ });
  assert.ok(
    r.problems.every((p) => p.shard === 2 && (p.doc === undefined || p.doc === n)),
    describe(r),
  );
});

test('a deleted body chunk is reported with its docNum and id', async (t) => {
  const dir = copyOfSample(t);
  const { n, id } = await firstDoc(dir, 0);
  await corrupt(dir, 0, (dbs) => dbs.bodies.removeSync([n, 0]));
  const r = await verifyIndex(dir);
  assertProblem(r, { check: 'body', shard: 0, doc: n, id, message: /missing/ });
  assert.equal(r.problemCount, 1, describe(r));
});

test('a broken ruyi.json is reported, and the shards are still checked', async (t) => {
  const dir = copyOfSample(t);
  const metaFile = join(dir, 'ruyi.json');
  const meta = readFileSync(metaFile, 'utf8');
  writeFileSync(metaFile, meta.slice(0, meta.length / 2));
  const r = await verifyIndex(dir);
  assertProblem(r, { check: 'meta', key: 'ruyi.json', message: /not valid JSON/ });
  assert.equal(r.problemCount, 1, describe(r));
  assert.equal(r.docs, 350);

  writeFileSync(metaFile, meta.replace('"shards": 4', '"shards": 3'));
  const fewer = await verifyIndex(dir);
  assertProblem(fewer, { check: 'meta', shard: 3, message: /shard-003 exists but ruyi.json says 3 shards/ });
  // With three shards, ids hash elsewhere: the router check names them.
  assertProblem(fewer, { check: 'router' });

  writeFileSync(metaFile, meta.replace(/"analyzerVersion": \d+/, '"analyzerVersion": 99'));
  assertProblem(await verifyIndex(dir), { check: 'meta', message: /analyzerVersion is 99.*reindex/ });
});

test('changed stored counts and lengths are reported against the recomputed ones', async (t) => {
  const dir = copyOfSample(t);
  await corrupt(dir, 3, (dbs) => {
    const state = readShardState(dbs);
    state.docs += 1;
    state.sumBodyLen -= 5;
    const seg = state.segments[0] as (typeof state.segments)[number];
    state.segments[0] = { ...seg, bytes: 1, docs: seg.docs - 1 };
    dbs.state.putSync('state', state);
  });
  const r = await verifyIndex(dir);
  assertProblem(r, { check: 'stats', shard: 3, message: /^docs is 83, recomputed 82/ });
  assertProblem(r, { check: 'stats', shard: 3, message: /sumBodyLen is \d+, recomputed \d+/ });
  assertProblem(r, { check: 'stats', shard: 3, segment: 0, message: /the state says 1 postings bytes, the payloads hold \d+/ });
  assertProblem(r, {
    check: 'stats',
    shard: 3,
    segment: 0,
    message: /the state says 81 documents, the segment's range holds 82 live and 0 deleted/,
  });
  assert.equal(r.problemCount, 4, describe(r));
});

test('a document in a shard its id does not hash to is a router problem, and only that', async (t) => {
  const dir = copyOfSample(t);
  const { n, id, stored } = await firstDoc(dir, 0);
  let other = '';
  for (let i = 0; shardOf(other, 4) === 0; i++) other = `moved-${i}`;
  await corrupt(dir, 0, (dbs) => {
    dbs.docs.removeSync(id);
    dbs.docs.putSync(other, stored);
    dbs.hits.putSync(n, [other, stored.title, stored.tags, stored.date]);
  });
  const r = await verifyIndex(dir);
  assertProblem(r, { check: 'router', shard: 0, doc: n, id: other, message: `hashes to shard ${shardOf(other, 4)}` });
  assert.equal(r.problemCount, 1, describe(r));
});

test('missing structure: block, norms, block index, live doc on the deleted list, leaked segment keys', async (t) => {
  const dir = copyOfSample(t);
  const { segments, nextSeg } = readShardStateOf(dir, 0);
  const seg = segments[0]?.id as number;
  const { n } = await firstDoc(dir, 1);
  await corrupt(dir, 0, (dbs) => {
    dbs.postings.removeSync([seg, SegmentKey.Block, 3]);
    dbs.postings.removeSync([seg, SegmentKey.BodyNorms]);
  });
  await corrupt(dir, 1, (dbs) => {
    const state = readShardState(dbs);
    state.dead.push(n);
    dbs.state.putSync('state', state);
  });
  const r = await verifyIndex(dir);
  assertProblem(r, { check: 'block', shard: 0, segment: seg, block: 3, message: /block is missing/ });
  assertProblem(r, { check: 'segment', shard: 0, segment: seg, key: `postings [${seg},4]`, message: /body norms are missing/ });
  assertProblem(r, { check: 'state', shard: 1, doc: n, message: /live document is on the deleted list/ });
  assertProblem(r, { check: 'stats', shard: 1, message: /the segment's range holds 94 live and 1 deleted/ });

  // Keys of a segment id below nextSeg that the state does not list.
  const leaked = copyOfSample(t);
  await corrupt(leaked, 2, (dbs) => {
    const state = readShardState(dbs);
    state.nextSeg = nextSeg + 5;
    dbs.state.putSync('state', state);
    dbs.postings.putSync([nextSeg + 2, SegmentKey.BlockIndex], Buffer.from([0]));
  });
  assertProblem(await verifyIndex(leaked), { check: 'segment', shard: 2, segment: nextSeg + 2, message: /leaked/ });
});

test('keys a crash leaves behind (above nextSeg and nextDoc) are notes, not problems', async (t) => {
  const { root, gen: dir } = copyOfIndex(t);
  const { nextSeg, nextDoc } = readShardStateOf(dir, 1);
  await corrupt(dir, 1, (dbs) => {
    dbs.postings.putSync([nextSeg, SegmentKey.Block, 0], Buffer.from([1, 1, 0x61, 0]));
    dbs.bodies.putSync([nextDoc, 0], Buffer.from('崩溃前写下的正文'));
  });
  const r = await verifyIndex(dir);
  assertClean(r, 350);
  assert.ok(
    r.notes.some((n) => n.check === 'segment' && n.shard === 1 && n.segment === nextSeg && /next write removes them/.test(n.message)),
    describe(r),
  );
  assert.ok(
    r.notes.some((n) => n.check === 'body' && n.shard === 1 && /1 bodies at docNums >= nextDoc/.test(n.message)),
    describe(r),
  );

  // The next write to that shard removes both.
  const index = await openIndex(root, { threads: 1, create: false });
  let id = 'after-crash';
  for (let i = 0; shardOf(id, 4) !== 1; i++) id = `after-crash-${i}`;
  await index.add({ id, title: '崩溃之后', body: '下一次写入会清理孤立的键。' });
  await index.close();
  const after = await verifyIndex(dir);
  assertClean(after, 351);
  assert.deepEqual(after.notes, []);
});

test('deep verification finds postings that do not match the text', async (t) => {
  const dir = copyOfSample(t);
  const { n, id, stored } = await firstDoc(dir, 2);
  // The docs row claims a longer body than the text analyzes to; norms agree with it.
  await corrupt(dir, 2, (dbs) => {
    const state = readShardState(dbs);
    const seg = state.segments[0] as (typeof state.segments)[number];
    const body = sealedData(dbs.postings.getBinary([seg.id, SegmentKey.BodyNorms]));
    body.writeUInt32LE(stored.bodyLen + 3, (n - seg.first) * 4);
    dbs.postings.putSync([seg.id, SegmentKey.BodyNorms], resealed(body));
    dbs.docs.putSync(id, { ...stored, bodyLen: stored.bodyLen + 3 });
    state.sumBodyLen += 3;
    dbs.state.putSync('state', state);
  });
  assertClean(await verifyIndex(dir), 350);
  const deep = await verifyIndex(dir, { deep: true });
  assertProblem(deep, { check: 'analysis', shard: 2, doc: n, id, message: /re-analysis gives title \d+ and body \d+ positions/ });
});

test('the payload walker gives a message or null for any bytes, and accepts every encoded payload', () => {
  const walker = new PayloadWalker();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(1000), fc.nat(1000), (bytes, first, span) => {
      const result = walker.walk(bytes, first, first + span, () => {});
      assert.ok(result === null || typeof result === 'string');
    }),
  );
  const posting = fc.record({ gap: fc.integer({ min: 1, max: 300 }), tfTitle: fc.nat(3), tfBody: fc.nat(4) });
  fc.assert(
    fc.property(fc.array(posting, { minLength: 1, maxLength: 30 }), fc.nat(5000), (postings, first) => {
      let doc = first - 1;
      const docNums = postings.map((p) => {
        doc += p.gap;
        return doc;
      });
      const positions: number[] = [];
      for (const p of postings) for (let k = 0; k < p.tfTitle + p.tfBody; k++) positions.push(k * 2);
      const out = new ByteWriter();
      encodePayload(out, new ByteWriter(), first, {
        count: postings.length,
        docNums: Int32Array.from(docNums),
        tfTitle: Int32Array.from(postings, (p) => p.tfTitle),
        tfBody: Int32Array.from(postings, (p) => p.tfBody),
        positions: Int32Array.from(positions),
      });
      const seen: [number, number, number, number[]][] = [];
      const fault = walker.walk(out.toBuffer(), first, doc, (d, tfT, tfB, pos) =>
        seen.push([d, tfT, tfB, Array.from(pos.subarray(0, tfT + tfB))]),
      );
      assert.equal(fault, null);
      assert.deepEqual(
        seen,
        postings.map((p, i) => [docNums[i], p.tfTitle, p.tfBody, Array.from({ length: p.tfTitle + p.tfBody }, (_, k) => k * 2)]),
      );
    }),
  );
});

test('ruyi verify: exit 0 and a JSON report when consistent, 3 with the problems listed when not, 1 without an index', async (t) => {
  const dir = copyOfSample(t);
  const lines: string[] = [];
  const json: unknown[] = [];
  const out = { json: (v: unknown) => json.push(JSON.parse(JSON.stringify(v))), line: (s: string) => lines.push(s) };

  assert.equal(await verifyCommand({ db: dir, json: true }, out), EXIT.ok);
  const report = json[0] as VerifyReport;
  assert.equal(report.ok, true);
  assert.equal(report.docs, 350);
  assert.deepEqual(report.problems, []);
  assert.equal(report.shards.length, 4);

  assert.equal(await verifyCommand({ db: dir }, out), EXIT.ok);
  assert.match(lines.at(-1) as string, /: consistent: 350 documents in 4 shards, 4 segments, \d+ terms, \d+ postings/);

  const { n, id } = await firstDoc(dir, 0);
  await corrupt(dir, 0, (dbs) => dbs.bodies.removeSync([n, 0]));
  lines.length = 0;
  assert.equal(await verifyCommand({ db: dir }, out), EXIT.index);
  assert.equal(
    lines[0],
    `problem [body] shard 0 bodies [${n},"*"] doc ${n} id ${JSON.stringify(id)}: body is missing: get() returns an empty body`,
  );
  assert.match(lines.at(-1) as string, /: INCONSISTENT: 1 problem; checked 350 documents/);
  assert.equal(await verifyCommand({ db: dir, json: true }, out), EXIT.index);
  assert.equal((json.at(-1) as VerifyReport).problems[0]?.doc, n);

  const nothing = join(tempDir(t), 'nothing');
  await assert.rejects(verifyCommand({ db: nothing }, out), (err) => exitCodeFor(err) === EXIT.usage && /no index at/.test(String(err)));
});

test('a random flipped byte anywhere in a segment or a stored body: verify names the key, search answers right or raises E_CORRUPT', async (t) => {
  const { root, gen } = copyOfIndex(t);
  const queries = ['列出目录内容', '内存', '服务器 配置', ...docs.slice(0, 40).map((d) => d.title ?? '')].filter((q) => q !== '');
  type Answer = { total: number; hits: [string, number][] } | 'corrupt';
  const ask = async (): Promise<{ answers: Answer[]; bodies: (string | 'corrupt')[] }> => {
    const index = await openIndex(root, { threads: 1, create: false });
    try {
      const answers = queries.map((q): Answer => {
        try {
          const r = index.search(q, { limit: 20, snippets: true });
          return { total: r.total, hits: r.hits.map((h) => [h.id, h.score]) };
        } catch (err) {
          assert.ok(isEngineError(err, 'E_CORRUPT'), `search ${JSON.stringify(q)} threw ${String(err)}`);
          return 'corrupt';
        }
      });
      const bodies: (string | 'corrupt')[] = [];
      for (const d of docs.slice(0, 350)) {
        try {
          bodies.push((await index.get(d.id))?.body ?? '');
        } catch (err) {
          assert.ok(isEngineError(err, 'E_CORRUPT'), `get ${d.id} threw ${String(err)}`);
          bodies.push('corrupt');
        }
      }
      return { answers, bodies };
    } finally {
      await index.close();
    }
  };
  const pristine = await ask();
  assert.ok(pristine.answers.every((a) => a !== 'corrupt' && a.total > 0));

  // Every key of every live segment, and every body chunk, with the shard it is in.
  const places: { shard: number; db: 'postings' | 'bodies'; key: (string | number)[] }[] = [];
  for (let s = 0; s < 4; s++) {
    const dbs = openShardDbs(gen, s);
    for (const seg of readShardState(dbs).segments) {
      for (const key of dbs.postings.getKeys({ start: [seg.id], end: [seg.id + 1] })) places.push({ shard: s, db: 'postings', key });
    }
    for (const key of dbs.bodies.getKeys({})) places.push({ shard: s, db: 'bodies', key });
    await dbs.env.close();
  }
  const rand = mulberry32(Number(process.env.RUYI_FLIP_SEED ?? 1212));
  let caught = 0;
  for (let trial = 0; trial < 16; trial++) {
    // Half the trials in segment keys (fewer, larger values), half in bodies.
    const pool = places.filter((p) => p.db === (trial % 2 === 0 ? 'postings' : 'bodies'));
    const place = pool[Math.floor(rand() * pool.length)] as (typeof places)[number];
    let original: Buffer = Buffer.alloc(0);
    let at = 0;
    let bit = 0;
    await corrupt(gen, place.shard, (dbs) => {
      const db = place.db === 'postings' ? dbs.postings : dbs.bodies;
      original = Buffer.from(db.getBinary(place.key as never) as Buffer);
      at = Math.floor(rand() * original.length);
      bit = Math.floor(rand() * 8);
      const damaged = Buffer.from(original);
      damaged[at] = (damaged[at] as number) ^ (1 << bit);
      db.putSync(place.key as never, damaged);
    });
    const where = `${place.db} ${JSON.stringify(place.key)} byte ${at} bit ${bit}`;
    const report = await verifyIndex(root);
    assert.equal(report.ok, false, `${where}: not reported`);
    const keyName = `${place.db} ${JSON.stringify(place.key)}`;
    assert.ok(
      report.problems.some((p) => p.shard === place.shard && p.key === keyName && /checksum mismatch/.test(p.message)),
      `${where}: ${describe(report)}`,
    );
    if (place.db === 'postings') {
      assert.ok(
        report.problems.some((p) => p.segment === place.key[0]),
        `${where}: the segment is not named`,
      );
    }
    const damaged = await ask();
    damaged.answers.forEach((a, i) => {
      if (a === 'corrupt') caught++;
      else assert.deepEqual(a, pristine.answers[i], `${where}: search ${JSON.stringify(queries[i])} answered differently`);
    });
    damaged.bodies.forEach((b, i) => {
      if (b === 'corrupt') caught++;
      else assert.equal(b, pristine.bodies[i], `${where}: get() of ${docs[i]?.id} gave another body`);
    });
    await corrupt(gen, place.shard, (dbs) => (place.db === 'postings' ? dbs.postings : dbs.bodies).putSync(place.key as never, original));
  }
  // Not vacuous: some damage was met by a read and raised.
  assert.ok(caught > 0, 'no read met a damaged value');
  assertClean(await verifyIndex(root), 350);
});

test('an index of an older format (no checksums, no skip data) is refused with a clear "rebuild" error, and verify says why', async (t) => {
  const { root, gen } = copyOfIndex(t);
  const file = join(gen, 'ruyi.json');
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  assert.equal(meta.formatVersion, FORMAT_VERSION);
  assert.equal(FORMAT_VERSION, 3);
  writeFileSync(file, JSON.stringify({ ...meta, formatVersion: 2, keyLayout: 2 }));
  await assert.rejects(
    openIndex(root, { threads: 1, create: false }),
    (err) =>
      isEngineError(err, 'E_META_MISMATCH') &&
      /was built with formatVersion 2, this version uses 3; rebuild it \(ruyi index <dump> --db <dir>, without --update\)/.test(
        err.message,
      ),
  );
  const report = await verifyIndex(root);
  assert.equal(report.ok, false);
  assert.ok(
    report.problems.some((p) => p.check === 'meta' && /formatVersion/.test(p.message)),
    describe(report),
  );
});
