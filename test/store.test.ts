import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EngineError } from '../src/errors.js';
import { LEVEL_FLOOR_BYTES, levelOf, MERGE_FACTOR, pickMerge } from '../src/indexing/merge-policy.js';
import { shardOf } from '../src/router.js';
import { topKIndexes } from '../src/search/top-k.js';

/** topKIndexes over the items of an iterable. */
function topK<T>(items: Iterable<T>, k: number, better: (a: T, b: T) => boolean): T[] {
  const all = [...items];
  return topKIndexes(all.length, k, (a, b) => better(all[a] as T, all[b] as T)).map((i) => all[i] as T);
}

import { mulberry32 as prng } from '../scripts/prng.js';
import { crc32c, crc32cNative, sealed, sealFault, unseal } from '../src/store/crc32c.js';
import {
  BLOCK_DOCS,
  decodePositions,
  decodePostings,
  type EncodeColumns,
  encodePayload,
  PayloadMerger,
  PositionLists,
  PostingColumns,
  positionsBytes,
  type SegmentNorms,
  SkipTable,
} from '../src/store/postings-codec.js';
import { SegmentReader } from '../src/store/segment-reader.js';
import { BLOCK_TARGET_BYTES, LARGE_TERM_BYTES, SegmentWriter } from '../src/store/segment-writer.js';
import { type SegmentInfo, SegmentKey, type ShardDbs } from '../src/store/shard-store.js';
import { sortedTermIds } from '../src/store/term-order.js';
import { ByteReader, ByteWriter } from '../src/store/varint.js';
import { PayloadWalker } from '../src/verify/payload-check.js';

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder();

/** Reference LEB128 encoding. */
function leb128(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const hanChar = fc.integer({ min: 0x4e00, max: 0x9fff }).map((c) => String.fromCharCode(c));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Units that make strings share prefixes often, across the interesting code unit ranges. */
const termUnit = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('中', '文', '华', 'a', 'b', 'Z', '0', '😀', '𠀀', 'é', '\uffff', '\u0000', ' ') },
  { weight: 2, arbitrary: hanChar },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const termString = fc.string({ unit: termUnit, maxLength: 8 });

// ---------------------------------------------------------------- ByteWriter / ByteReader

test('uint round trip for integers up to 2**40, bytes are LEB128', () => {
  const value = fc.oneof(
    fc.nat(300),
    fc.integer({ min: 0, max: 2 ** 32 }),
    fc.integer({ min: 0, max: 2 ** 40 }),
    fc.constantFrom(0, 127, 128, 2 ** 31, 2 ** 35, 2 ** 40),
  );
  fc.assert(
    fc.property(fc.array(value, { maxLength: 200 }), fc.integer({ min: 1, max: 64 }), (values, initial) => {
      const w = new ByteWriter(initial);
      for (const v of values) w.uint(v);
      assert.deepEqual([...w.toBuffer()], values.flatMap(leb128));
      const r = new ByteReader(w.toBuffer());
      for (const v of values) assert.equal(r.uint(), v);
      assert.ok(r.done);
      assert.throws(() => r.uint(), RangeError);
    }),
    { numRuns: 500 },
  );
});

function expectedStringBytes(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from(leb128(bytes.length)), bytes]);
}

function readString(r: ByteReader): string {
  return utf8Decode.decode(r.bytes(r.uint()));
}

test('string() writes the UTF-8 length and bytes, for short and long strings', () => {
  const short = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 256 }),
    fc.string({ unit: termUnit, maxLength: 256 }),
  );
  const long = fc.oneof(
    fc.string({ unit: 'binary', minLength: 200, maxLength: 1500 }),
    fc.string({ unit: 'grapheme', minLength: 100, maxLength: 600 }),
    fc.string({ unit: hanChar, minLength: 257, maxLength: 2000 }),
  );
  fc.assert(
    fc.property(fc.array(fc.oneof(short, long), { maxLength: 8 }), fc.integer({ min: 1, max: 32 }), (strings, initial) => {
      const w = new ByteWriter(initial);
      for (const s of strings) w.string(s);
      assert.deepEqual(w.toBuffer(), Buffer.concat(strings.map(expectedStringBytes)));
      const r = new ByteReader(w.toBuffer());
      // Lone surrogates are written as U+FFFD, as TextEncoder and Buffer do.
      for (const s of strings) assert.equal(readString(r), s.toWellFormed());
      assert.ok(r.done);
    }),
    { numRuns: 300 },
  );
});

test('string() around the 256-unit threshold and the one/two byte length prefix', () => {
  const cases: string[] = [];
  for (const n of [0, 1, 42, 43, 127, 128, 255, 256, 257, 300]) {
    cases.push('a'.repeat(n), '中'.repeat(n), '😀'.repeat(n >> 1), `${'é'.repeat(n >> 1)}x`);
  }
  const w = new ByteWriter(1);
  for (const s of cases) w.string(s);
  assert.deepEqual(w.toBuffer(), Buffer.concat(cases.map(expectedStringBytes)));
  const r = new ByteReader(w.toBuffer());
  for (const s of cases) assert.equal(readString(r), s);
});

test('string() replaces lone surrogates with U+FFFD like TextEncoder', () => {
  const unit = fc.oneof(termUnit, loneSurrogate);
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit, maxLength: 40 }), fc.string({ unit, minLength: 257, maxLength: 400 })), (s) => {
      const w = new ByteWriter(4);
      w.string(s);
      const bytes = utf8.encode(s);
      assert.deepEqual(w.toBuffer(), Buffer.concat([Buffer.from(leb128(bytes.length)), Buffer.from(bytes)]));
    }),
    { numRuns: 500 },
  );
  const w = new ByteWriter();
  w.string('a\ud800');
  w.string('\udc00b');
  assert.deepEqual([...w.toBuffer()], [4, 0x61, 0xef, 0xbf, 0xbd, 4, 0xef, 0xbf, 0xbd, 0x62]);
});

test('bytes(), append() and reset()', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }), (parts) => {
      const a = new ByteWriter(1);
      const b = new ByteWriter(1);
      for (const p of parts) {
        a.bytes(p);
        b.uint(p.length);
        b.bytes(p);
      }
      assert.deepEqual(a.toBuffer(), Buffer.concat(parts));
      const both = new ByteWriter(2);
      both.append(a);
      both.append(b);
      assert.equal(both.length, a.length + b.length);
      const r = new ByteReader(both.toBuffer(), a.length);
      for (const p of parts) assert.ok(Buffer.from(p).equals(r.bytes(r.uint())));
      assert.ok(r.done);
      a.reset();
      assert.equal(a.length, 0);
      assert.equal(a.toBuffer().length, 0);
    }),
    { numRuns: 200 },
  );
});

test('toBuffer() is a copy that survives reuse of the writer', () => {
  const w = new ByteWriter(4);
  w.uint(300);
  const copy = w.toBuffer();
  w.reset();
  w.uint(5);
  assert.deepEqual([...copy], [0xac, 0x02]);
});

test('ByteReader throws RangeError past the end', () => {
  assert.throws(() => new ByteReader(new Uint8Array(0)).uint(), RangeError);
  // A continuation byte with nothing after it.
  assert.throws(() => new ByteReader(new Uint8Array([0x80])).uint(), RangeError);
  assert.throws(() => new ByteReader(new Uint8Array([0xff, 0xff])).uint(), RangeError);
  // The end bound is honoured even when the buffer goes on.
  const buf = new Uint8Array([1, 2, 0x81, 1, 9]);
  const r = new ByteReader(buf, 1, 3);
  assert.equal(r.uint(), 2);
  assert.throws(() => r.uint(), RangeError);
  const b = new ByteReader(buf, 1, 3);
  assert.throws(() => b.bytes(3), RangeError);
  assert.deepEqual([...b.bytes(2)], [2, 0x81]);
  assert.ok(b.done);
  assert.throws(() => b.bytes(1), RangeError);
  assert.deepEqual([...b.bytes(0)], []);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 20 }), fc.nat(25), (bytes, count) => {
      const reader = new ByteReader(bytes);
      if (count > bytes.length) assert.throws(() => reader.bytes(count), RangeError);
      else assert.equal(reader.bytes(count).length, count);
    }),
  );
});

// ---------------------------------------------------------------- term order

function checkSorted(terms: string[]): void {
  const ids = sortedTermIds(terms);
  assert.equal(ids.length, terms.length);
  assert.deepEqual(
    [...ids].map((i) => terms[i]),
    [...terms].sort(),
  );
  assert.equal(new Set(ids).size, terms.length);
}

test('sortedTermIds gives JavaScript string order', () => {
  fc.assert(fc.property(fc.uniqueArray(termString, { maxLength: 300 }), checkSorted), { numRuns: 500 });
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ unit: loneSurrogate, maxLength: 3 })), {
        maxLength: 200,
      }),
      checkSorted,
    ),
    { numRuns: 300 },
  );
  checkSorted([]);
  checkSorted(['']);
  checkSorted(['中文', '中', '', '中文字', '中华', 'a', 'A', '😀', '\uffff', '\uffff\uffff', '\u0000', '\u0000\u0000', 'ab', 'a']);
});

test('sortedTermIds on 100,000 terms with shared prefixes', () => {
  const rand = prng(7);
  const alphabet = ['中', '文', 'a', '\uffff', '\u0000', '😀', 'z'];
  const set = new Set<string>();
  while (set.size < 100_000) {
    let s = '';
    const n = Math.floor(rand() * 7);
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
    set.add(s);
  }
  checkSorted([...set]);
});

// ---------------------------------------------------------------- postings codec

interface Posting {
  doc: number;
  titleLen: number;
  bodyLen: number;
  /** Ascending, each < titleLen + bodyLen. */
  positions: number[];
}

/** A payload decoded by the reference decoder: what the bytes hold (lengths live in the norms). */
interface Decoded {
  docNums: number[];
  tfTitle: number[];
  tfBody: number[];
  positions: number[][];
}

/** The first `length` entries of PostingColumns, as plain arrays. */
interface PlainColumns {
  length: number;
  docNums: number[];
  tfTitle: number[];
  tfBody: number[];
  titleLen: number[];
  bodyLen: number[];
}

const positionCount = fc.oneof({ weight: 9, arbitrary: fc.constant(12) }, { weight: 1, arbitrary: fc.constant(200) });

const postingShape = fc
  .record({
    gap: fc.oneof(fc.nat(3), fc.nat(300), fc.nat(20_000)),
    titleLen: fc.oneof(fc.nat(30), fc.nat(400)),
    bodyLen: fc.oneof(fc.nat(200), fc.nat(100_000)),
    maxPositions: positionCount,
  })
  .chain(({ gap, titleLen, bodyLen, maxPositions }) => {
    const total = titleLen + bodyLen;
    const positions =
      total === 0
        ? fc.constant<number[]>([])
        : fc.uniqueArray(fc.integer({ min: 0, max: total - 1 }), { maxLength: maxPositions }).map((p) => p.sort((x, y) => x - y));
    return positions.map((p) => ({ gap, titleLen, bodyLen, positions: p }));
  });

/** Postings with strictly increasing docNums, the first >= segFirst. */
function postingsFrom(segFirst: number, shapes: { gap: number; titleLen: number; bodyLen: number; positions: number[] }[]): Posting[] {
  let doc = segFirst;
  return shapes.map((s, i) => {
    doc += i === 0 ? s.gap : s.gap + 1;
    return { doc, titleLen: s.titleLen, bodyLen: s.bodyLen, positions: s.positions };
  });
}

const tfTitleOf = (p: Posting): number => p.positions.filter((x) => x < p.titleLen).length;

function columnsOf(postings: Posting[]): EncodeColumns {
  const n = postings.length;
  const positions = postings.flatMap((p) => p.positions);
  const cols: EncodeColumns = {
    count: n,
    // Longer than count, like the indexer's reused columns.
    docNums: new Int32Array(n + 3),
    tfTitle: new Int32Array(n + 3),
    tfBody: new Int32Array(n + 3),
    positions: new Int32Array(positions.length + 5),
  };
  cols.positions.set(positions);
  cols.tfTitle.fill(9);
  cols.tfBody.fill(9);
  postings.forEach((p, i) => {
    const tfT = tfTitleOf(p);
    cols.docNums[i] = p.doc;
    cols.tfTitle[i] = tfT;
    cols.tfBody[i] = p.positions.length - tfT;
  });
  return cols;
}

function encode(segFirst: number, postings: Posting[]): Buffer {
  const out = new ByteWriter(16);
  encodePayload(out, new ByteWriter(8), segFirst, columnsOf(postings));
  return out.toBuffer();
}

/**
 * Norms of a segment starting at segFirst that covers every posting's doc (and `slack` docNums
 * more). Slots of documents without a posting hold values no posting has, so a lookup at the
 * wrong index shows.
 */
function normsFor(segFirst: number, postings: Posting[], slack = 3): SegmentNorms {
  const size = (postings.at(-1)?.doc ?? segFirst - 1) - segFirst + 1 + slack;
  const norms: SegmentNorms = { title: new Uint16Array(size), body: new Uint32Array(size) };
  for (let i = 0; i < size; i++) {
    norms.title[i] = 50_000 + (i % 10_000);
    norms.body[i] = 1_000_000_000 + i;
  }
  for (const p of postings) {
    norms.title[p.doc - segFirst] = p.titleLen;
    norms.body[p.doc - segFirst] = p.bodyLen;
  }
  return norms;
}

function expectedPostings(postings: Posting[]): Decoded {
  return {
    docNums: postings.map((p) => p.doc),
    tfTitle: postings.map(tfTitleOf),
    tfBody: postings.map((p) => p.positions.length - tfTitleOf(p)),
    positions: postings.map((p) => p.positions),
  };
}

function expectedColumns(postings: Posting[]): PlainColumns {
  const { positions: _, ...e } = expectedPostings(postings);
  return { length: postings.length, ...e, titleLen: postings.map((p) => p.titleLen), bodyLen: postings.map((p) => p.bodyLen) };
}

function plainColumns(cols: PostingColumns): PlainColumns {
  const n = cols.length;
  const capacity = cols.docNums.length;
  assert.ok(n <= capacity, `length ${n} past capacity ${capacity}`);
  for (const c of [cols.tfTitle, cols.tfBody, cols.titleLen, cols.bodyLen]) {
    assert.ok(c instanceof Int32Array);
    assert.equal(c.length, capacity, 'every column has the same capacity');
  }
  const take = (a: Int32Array): number[] => Array.from(a.subarray(0, n));
  return {
    length: n,
    docNums: take(cols.docNums),
    tfTitle: take(cols.tfTitle),
    tfBody: take(cols.tfBody),
    titleLen: take(cols.titleLen),
    bodyLen: take(cols.bodyLen),
  };
}

/**
 * Decodes a whole payload, positions included, from the format documented in postings-codec.ts:
 * n, postingsBytes, n x (docGap, tfBody << 1 | hasTitle, [tfTitle]), then the positions.
 */
function decodeAll(payload: Uint8Array, segFirst: number): Decoded {
  const head = new ByteReader(payload);
  const n = head.uint();
  const postingsBytes = head.uint();
  const r = new ByteReader(payload, head.pos, head.pos + postingsBytes);
  const out: Decoded = { docNums: [], tfTitle: [], tfBody: [], positions: [] };
  let doc = segFirst;
  for (let i = 0; i < n; i++) {
    doc += r.uint();
    out.docNums.push(doc);
    const packed = r.uint();
    const hasTitle = packed % 2 === 1;
    const tfTitle = hasTitle ? r.uint() : 0;
    if (hasTitle) assert.ok(tfTitle > 0, 'the title bit is set only for a title frequency > 0');
    out.tfTitle.push(tfTitle);
    out.tfBody.push(Math.floor(packed / 2));
  }
  assert.ok(r.done, 'postingsBytes covers exactly the postings');
  const pr = new ByteReader(payload, head.pos + postingsBytes);
  for (let i = 0; i < n; i++) {
    const count = (out.tfTitle[i] as number) + (out.tfBody[i] as number);
    const ps: number[] = [];
    let prev = 0;
    for (let k = 0; k < count; k++) {
      prev += pr.uint();
      ps.push(prev);
    }
    out.positions.push(ps);
  }
  assert.ok(pr.done, 'no bytes after the positions');
  return out;
}

const segFirstArb = fc.oneof(fc.nat(10), fc.nat(100_000_000));

test('encodePayload / decodePostings round trip', () => {
  fc.assert(
    fc.property(segFirstArb, fc.array(postingShape, { maxLength: 40 }), (segFirst, shapes) => {
      const postings = postingsFrom(segFirst, shapes);
      const payload = encode(segFirst, postings);
      assert.deepEqual(decodeAll(payload, segFirst), expectedPostings(postings));

      const cols = new PostingColumns();
      assert.equal(decodePostings(payload, segFirst, normsFor(segFirst, postings), null, cols), postings.length);
      assert.deepEqual(plainColumns(cols), expectedColumns(postings));
    }),
    { numRuns: 500 },
  );
});

test('encodePayload packs tfBody with the title bit, tfTitle only when present: exact bytes', () => {
  const body = (from: number, count: number): number[] => Array.from({ length: count }, (_, k) => from + k);
  const postings: Posting[] = [
    // Body only: tfBody 1 -> packed 2, no tfTitle.
    { doc: 100, titleLen: 0, bodyLen: 10, positions: [5] },
    // tfTitle 2, tfBody 70 -> packed 141 (two bytes), then tfTitle 2.
    { doc: 103, titleLen: 200, bodyLen: 50, positions: [0, 130, ...body(200, 70)] },
    // Title only: tfBody 0 -> packed 1, then tfTitle 130 (two bytes).
    { doc: 300, titleLen: 150, bodyLen: 0, positions: body(0, 130) },
    // No positions at all: packed 0.
    { doc: 301, titleLen: 0, bodyLen: 0, positions: [] },
  ];
  const postingBytes = [0, 2, 3, 0x8d, 0x01, 2, 0xc5, 0x01, 1, 0x82, 0x01, 1, 0];
  const positionBytes = [5, 0, 0x82, 0x01, 70, ...Array(69).fill(1), 0, ...Array(129).fill(1)];
  const payload = encode(100, postings);
  assert.deepEqual([...payload], [4, postingBytes.length, ...postingBytes, ...positionBytes]);
  assert.deepEqual(decodeAll(payload, 100), expectedPostings(postings));

  const norms: SegmentNorms = { title: new Uint16Array(202), body: new Uint32Array(202) };
  norms.title.set([0, 7, 7, 200], 0);
  norms.body.set([10, 7, 7, 50], 0);
  norms.title[200] = 150;
  norms.body[200] = 0;
  norms.title[201] = 65_535;
  norms.body[201] = 4_000_000;
  const cols = new PostingColumns();
  assert.equal(decodePostings(payload, 100, norms, null, cols), 4);
  assert.deepEqual(plainColumns(cols), {
    length: 4,
    docNums: [100, 103, 300, 301],
    tfTitle: [0, 2, 130, 0],
    tfBody: [1, 70, 0, 0],
    titleLen: [0, 200, 150, 65_535],
    bodyLen: [10, 50, 0, 4_000_000],
  });
  // An empty payload: n = 0, no postings bytes.
  assert.deepEqual([...encode(100, [])], [0, 0]);
  assert.equal(decodePostings(encode(100, []), 100, norms, null, cols), 0);
  assert.equal(cols.length, 4);
});

test('decodePostings skips exactly the dead docNums and appends to the columns', () => {
  fc.assert(
    fc.property(
      segFirstArb,
      fc.array(fc.tuple(postingShape, fc.boolean()), { minLength: 1, maxLength: 40 }),
      fc.array(fc.nat(), { maxLength: 5 }),
      fc.nat(300),
      (segFirst, rows, strayDead, prefix) => {
        const postings = postingsFrom(
          segFirst,
          rows.map(([s]) => s),
        );
        const dead = new Set<number>(strayDead.map((x) => x + (postings.at(-1) as Posting).doc + 1));
        if (segFirst > 0) dead.add(segFirst - 1);
        rows.forEach(([, isDead], i) => {
          if (isDead) dead.add((postings[i] as Posting).doc);
        });
        const alive = postings.filter((p) => !dead.has(p.doc));
        const payload = encode(segFirst, postings);

        // `prefix` postings of an earlier segment already sit in the columns.
        const cols = new PostingColumns();
        cols.ensure(prefix);
        for (const c of [cols.docNums, cols.tfTitle, cols.tfBody, cols.titleLen, cols.bodyLen]) {
          for (let i = 0; i < prefix; i++) c[i] = -1 - i;
        }
        cols.length = prefix;
        assert.equal(decodePostings(payload, segFirst, normsFor(segFirst, postings), dead, cols), alive.length);
        const before = Array.from({ length: prefix }, (_, i) => -1 - i);
        const e = expectedColumns(alive);
        assert.deepEqual(plainColumns(cols), {
          length: prefix + alive.length,
          docNums: [...before, ...e.docNums],
          tfTitle: [...before, ...e.tfTitle],
          tfBody: [...before, ...e.tfBody],
          titleLen: [...before, ...e.titleLen],
          bodyLen: [...before, ...e.bodyLen],
        });
      },
    ),
    { numRuns: 500 },
  );
});

test('decodePostings appends after cols.length and grows the columns past 256', () => {
  const rand = prng(42);
  const make = (segFirst: number, n: number): Posting[] =>
    postingsFrom(
      segFirst,
      Array.from({ length: n }, () => {
        const titleLen = Math.floor(rand() * 20);
        const bodyLen = 1 + Math.floor(rand() * 500);
        const positions = [...new Set(Array.from({ length: 1 + Math.floor(rand() * 5) }, () => Math.floor(rand() * (titleLen + bodyLen))))];
        return { gap: Math.floor(rand() * 4), titleLen, bodyLen, positions: positions.sort((x, y) => x - y) };
      }),
    );
  const a = make(1000, 200);
  const b = make(5000, 300);
  const c = make(20_000, 1500);
  const cols = new PostingColumns();
  assert.equal(cols.length, 0);
  assert.equal(cols.docNums.length, 256);

  assert.equal(decodePostings(encode(1000, a), 1000, normsFor(1000, a), null, cols), 200);
  assert.equal(cols.docNums.length, 256, 'no growth while the postings fit');
  // 200 + 300 > 256: one doubling is not enough.
  assert.equal(decodePostings(encode(5000, b), 5000, normsFor(5000, b), null, cols), 300);
  assert.ok(cols.docNums.length >= 500);
  assert.deepEqual(plainColumns(cols), expectedColumns([...a, ...b]));

  // 500 + 1500, a third of them dead: growth by more than a doubling, appended after 500.
  const dead = new Set(c.filter((_, i) => i % 3 === 0).map((p) => p.doc));
  const aliveC = c.filter((p) => !dead.has(p.doc));
  assert.equal(decodePostings(encode(20_000, c), 20_000, normsFor(20_000, c), dead, cols), aliveC.length);
  assert.ok(cols.docNums.length >= 2000);
  assert.deepEqual(plainColumns(cols), expectedColumns([...a, ...b, ...aliveC]));

  // clear() starts over in the same (grown) arrays.
  const capacity = cols.docNums.length;
  assert.equal(cols.clear(), cols);
  assert.equal(cols.length, 0);
  assert.equal(decodePostings(encode(5000, b), 5000, normsFor(5000, b), null, cols), 300);
  assert.equal(cols.docNums.length, capacity);
  assert.deepEqual(plainColumns(cols), expectedColumns(b));

  // ensure() keeps what is below length, at any size.
  const big = new PostingColumns();
  big.docNums.set([7, 8, 9]);
  big.length = 3;
  big.ensure(100_000);
  assert.ok(big.docNums.length >= 100_003 && big.bodyLen.length === big.docNums.length);
  assert.deepEqual([...big.docNums.subarray(0, 3)], [7, 8, 9]);
});

const mergeSource = fc.tuple(fc.nat(50), fc.array(fc.tuple(postingShape, fc.boolean()), { maxLength: 25 }), fc.boolean());

test('PayloadMerger equals encoding the surviving postings directly', () => {
  fc.assert(
    fc.property(segFirstArb, fc.array(mergeSource, { minLength: 1, maxLength: 4 }), (firstOfAll, segs) => {
      // Segments partition the docNum range: each starts after the previous one's last doc.
      const merger = new PayloadMerger();
      merger.start(firstOfAll);
      const survivors: Posting[] = [];
      let nextFirst = firstOfAll;
      const sources: { first: number; payload: Buffer; dead: Set<number> }[] = [];
      for (const [skip, rows, clean] of segs) {
        const first = nextFirst + skip;
        const postings = postingsFrom(
          first,
          rows.map(([s]) => s),
        );
        const dead = new Set<number>();
        rows.forEach(([, isDead], i) => {
          if (isDead && !clean) dead.add((postings[i] as Posting).doc);
        });
        survivors.push(...postings.filter((p) => !dead.has(p.doc)));
        sources.push({ first, payload: encode(first, postings), dead });
        nextFirst = (postings.at(-1)?.doc ?? first) + 1;
      }
      // One dead set for the whole merged range, as mergeSegments passes it.
      const allDead = new Set(sources.flatMap((s) => [...s.dead]));
      for (const s of sources) merger.append(s.payload, s.first, allDead);

      const out = new ByteWriter(8);
      out.uint(77); // finish() appends: earlier bytes stay
      const kept = merger.finish(out);
      assert.equal(kept, survivors.length > 0);
      if (!kept) {
        assert.equal(out.length, 1);
      } else {
        const merged = out.toBuffer().subarray(1);
        assert.deepEqual(merged, encode(firstOfAll, survivors));
        assert.deepEqual(decodeAll(merged, firstOfAll), expectedPostings(survivors));
        const cols = new PostingColumns();
        decodePostings(merged, firstOfAll, normsFor(firstOfAll, survivors), null, cols);
        assert.deepEqual(plainColumns(cols), expectedColumns(survivors));
      }

      // The merger is reusable, and sources without deleted documents (dead = null) give the
      // same bytes, mixed with Set sources or not.
      for (const useNull of [(s: (typeof sources)[number]) => s.dead.size === 0, () => false]) {
        merger.start(firstOfAll);
        for (const s of sources) merger.append(s.payload, s.first, useNull(s) ? null : allDead);
        const again = new ByteWriter(1);
        assert.equal(merger.finish(again), kept);
        assert.deepEqual(again.toBuffer(), kept ? encode(firstOfAll, survivors) : Buffer.alloc(0));
      }
    }),
    { numRuns: 400 },
  );
});

test('PayloadMerger with two segments, a concrete case', () => {
  const a: Posting[] = [
    { doc: 10, titleLen: 3, bodyLen: 100, positions: [0, 2, 50] },
    { doc: 12, titleLen: 2, bodyLen: 10, positions: [5] },
    { doc: 15, titleLen: 0, bodyLen: 1000, positions: [3, 999] },
  ];
  const b: Posting[] = [
    { doc: 20, titleLen: 4, bodyLen: 4, positions: [1, 7] },
    { doc: 300, titleLen: 1, bodyLen: 200_000, positions: [0, 150_000] },
  ];
  const dead = new Set([12, 20]);
  const merger = new PayloadMerger();
  merger.start(10);
  merger.append(encode(10, a), 10, dead);
  merger.append(encode(18, b), 18, dead);
  const out = new ByteWriter();
  assert.ok(merger.finish(out));
  const survivors = [a[0], a[2], b[1]] as Posting[];
  assert.deepEqual(out.toBuffer(), encode(10, survivors));
  const decoded = decodeAll(out.toBuffer(), 10);
  assert.deepEqual(decoded.docNums, [10, 15, 300]);
  assert.deepEqual(decoded.tfTitle, [2, 0, 1]);
  assert.deepEqual(decoded.tfBody, [1, 2, 1]);
  assert.deepEqual(decoded.positions, [
    [0, 2, 50],
    [3, 999],
    [0, 150_000],
  ]);
  // gap 0, packed 1*2+1, tfTitle 2; gap 5, packed 2*2; gap 285 (two bytes), packed 1*2+1, tfTitle 1.
  assert.deepEqual([...out.toBuffer().subarray(0, 11)], [3, 9, 0, 3, 2, 5, 4, 0x9d, 0x02, 3, 1]);

  // Nothing dead: only b's first gap is rebased (from 18 to 15).
  merger.start(8);
  merger.append(encode(10, a), 10, null);
  merger.append(encode(18, b), 18, null);
  const copied = new ByteWriter();
  assert.ok(merger.finish(copied));
  assert.deepEqual(copied.toBuffer(), encode(8, [...a, ...b]));
  assert.deepEqual(decodeAll(copied.toBuffer(), 8).docNums, [10, 12, 15, 20, 300]);

  // Everything dead: nothing to write.
  merger.start(10);
  merger.append(encode(10, a), 10, new Set([10, 12, 15]));
  merger.append(encode(18, []), 18, null);
  const none = new ByteWriter();
  assert.equal(merger.finish(none), false);
  assert.equal(none.length, 0);
});

// ---------------------------------------------------------------- segments

/**
 * The part of ShardDbs a SegmentReader uses, over a Map. As with LMDB, getBinaryFast returns one
 * reused buffer that any later read overwrites; getBinary returns a copy, here deliberately at an
 * odd byte offset, as LMDB's bytes need not be aligned.
 */
function fakeDbs(): { dbs: ShardDbs; store: Map<string, Buffer>; puts: (string | number)[][] } {
  const store = new Map<string, Buffer>();
  const puts: (string | number)[][] = [];
  let shared = Buffer.alloc(1 << 16);
  const clobber = (): void => {
    shared.fill(0xee);
  };
  const postings = {
    getBinary(key: (string | number)[]): Buffer | undefined {
      clobber();
      const v = store.get(JSON.stringify(key));
      if (!v) return undefined;
      const copy = Buffer.alloc(v.length + 1);
      v.copy(copy, 1);
      return copy.subarray(1);
    },
    getBinaryFast(key: (string | number)[]): Buffer | undefined {
      clobber();
      const v = store.get(JSON.stringify(key));
      if (!v) return undefined;
      if (v.length > shared.length) shared = Buffer.alloc(v.length * 2);
      v.copy(shared);
      return shared.subarray(0, v.length);
    },
  };
  return { dbs: { postings } as unknown as ShardDbs, store, puts };
}

/** Norms of `count` documents with values that differ per document and per segment. */
function patternNorms(count: number, seed: number): SegmentNorms {
  const rand = prng(seed);
  const norms: SegmentNorms = { title: new Uint16Array(count), body: new Uint32Array(count) };
  for (let i = 0; i < count; i++) {
    norms.title[i] = Math.floor(rand() * 0x10000);
    norms.body[i] = Math.floor(rand() * 0x1_0000_0000);
  }
  return norms;
}

function writeSegment(
  fake: ReturnType<typeof fakeDbs>,
  segId: number,
  entries: [string, Uint8Array][],
  range: { first: number; last: number } = { first: 0, last: 1000 },
  norms: SegmentNorms = patternNorms(range.last - range.first + 1, segId),
): { info: SegmentInfo; writer: SegmentWriter } {
  const writer = new SegmentWriter(segId, (key, value) => {
    const k = JSON.stringify(key);
    assert.ok(!fake.store.has(k), `key written twice: ${k}`);
    fake.puts.push(key);
    fake.store.set(k, Buffer.from(value));
  });
  const payload = new ByteWriter(16);
  for (const [term, bytes] of entries) {
    payload.reset();
    payload.bytes(bytes);
    writer.addTerm(term, payload);
  }
  const blocks = writer.finish(norms);
  const info: SegmentInfo = { id: segId, ...range, docs: range.last - range.first + 1, bytes: writer.bytes, blocks };
  return { info, writer };
}

/** The bytes norms must be stored as: u16 / u32 little-endian, back to back. */
function normBytes(values: Uint16Array | Uint32Array): Buffer {
  const width = values.BYTES_PER_ELEMENT;
  const out = Buffer.alloc(values.length * width);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  values.forEach((v, i) => {
    if (width === 2) view.setUint16(i * 2, v, true);
    else view.setUint32(i * 4, v, true);
  });
  return sealedBytes(out);
}

/** `data` followed by its CRC32C, little-endian: how every postings value is stored. */
function sealedBytes(data: Uint8Array): Buffer {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32c(data));
  return Buffer.concat([data, crc]);
}

/** The norms keys hold exactly the expected bytes, and a fresh SegmentReader reads them back. */
function checkNorms(fake: ReturnType<typeof fakeDbs>, info: SegmentInfo, norms: SegmentNorms): void {
  assert.equal(SegmentKey.TitleNorms, 3);
  assert.equal(SegmentKey.BodyNorms, 4);
  const ofSegment = fake.puts.filter((k) => k[0] === info.id);
  assert.deepEqual(
    ofSegment.filter((k) => k[1] === SegmentKey.TitleNorms),
    [[info.id, 3]],
  );
  assert.deepEqual(
    ofSegment.filter((k) => k[1] === SegmentKey.BodyNorms),
    [[info.id, 4]],
  );
  assert.deepEqual(fake.store.get(JSON.stringify([info.id, 3])), normBytes(norms.title));
  assert.deepEqual(fake.store.get(JSON.stringify([info.id, 4])), normBytes(norms.body));
  const reader = new SegmentReader(fake.dbs, info);
  const read = reader.norms();
  assert.ok(read.title instanceof Uint16Array && read.body instanceof Uint32Array);
  assert.deepEqual([...read.title], [...norms.title]);
  assert.deepEqual([...read.body], [...norms.body]);
  assert.equal(reader.norms(), read, 'loaded once, then kept');
}

function sortedEntries(terms: string[], payloadOf: (term: string, i: number) => Uint8Array): [string, Uint8Array][] {
  const ids = sortedTermIds(terms);
  return [...ids].map((id, i) => {
    const term = terms[id] as string;
    return [term, payloadOf(term, i)];
  });
}

/** Strings that are not terms of the segment: before, between and after them. */
function absentCandidates(terms: string[]): string[] {
  const present = new Set(terms);
  const out = new Set<string>(['', '\u0000', '\uffff\uffff\uffff', 'zzzz', '中', 'a']);
  for (const t of terms) {
    out.add(`${t}\u0000`);
    out.add(`${t}a`);
    out.add(t.slice(0, -1));
    out.add(t.slice(1));
    out.add(`${t}\uffff`);
  }
  return [...out].filter((t) => !present.has(t));
}

function checkSegment(dbs: ShardDbs, info: SegmentInfo, entries: [string, Uint8Array][]): void {
  const reader = new SegmentReader(dbs, info);
  for (const [term, bytes] of entries) {
    const got = reader.payload(term, utf8.encode(term));
    assert.ok(got !== null, `term ${JSON.stringify(term)} not found`);
    // Compared before the next read: the bytes may be in a reused buffer.
    assert.ok(Buffer.from(bytes).equals(got), `payload of ${JSON.stringify(term)}`);
  }
  for (const term of absentCandidates(entries.map(([t]) => t))) {
    assert.equal(reader.payload(term, utf8.encode(term)), null, `absent ${JSON.stringify(term)} was found`);
  }
  const listed = [...reader.entries()];
  assert.equal(listed.length, entries.length);
  listed.forEach(({ term, payload }, i) => {
    const [t, bytes] = entries[i] as [string, Uint8Array];
    assert.equal(term, t);
    assert.ok(Buffer.from(bytes).equals(payload), `entries() payload of ${JSON.stringify(term)}`);
  });
}

test('SegmentWriter + SegmentReader: thousands of terms, blocks and large terms', () => {
  const rand = prng(20240601);
  const pieces = ['中文', '分词', '索引', '倒排', 'node', 'js', '😀', '𠀀', 'é', 'x', '0', '1', '华', '\uffff'];
  const set = new Set<string>(['']);
  while (set.size < 4000) {
    let s = '';
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) s += pieces[Math.floor(rand() * pieces.length)];
    if (rand() < 0.2) s += String.fromCharCode(0x4e00 + Math.floor(rand() * 0x5000));
    set.add(s);
  }
  const terms = [...set];
  let large = 0;
  let exactly = 0;
  const entries = sortedEntries(terms, (_term, i) => {
    const roll = rand();
    const size =
      roll < 0.05
        ? LARGE_TERM_BYTES + 1 + Math.floor(rand() * 20_000)
        : roll < 0.07
          ? LARGE_TERM_BYTES + (i % 2) // 1024 stays in a block, 1025 does not
          : 1 + Math.floor(rand() * (roll < 0.3 ? 400 : 20));
    if (size > LARGE_TERM_BYTES) large++;
    if (size === LARGE_TERM_BYTES) exactly++;
    const bytes = new Uint8Array(size);
    for (let k = 0; k < size; k++) bytes[k] = Math.floor(rand() * 256);
    return bytes;
  });
  assert.ok(large > 100 && exactly > 10);

  const fake = fakeDbs();
  const segId = 3;
  const norms = patternNorms(1001, 99);
  const { info, writer } = writeSegment(fake, segId, entries, { first: 0, last: 1000 }, norms);
  assert.ok(info.blocks > 10, `${info.blocks} blocks`);
  assert.equal(writer.terms, entries.length);
  assert.equal(
    writer.bytes,
    entries.reduce((sum, [, b]) => sum + b.length, 0),
  );
  assert.deepEqual(Object.keys(info).sort(), ['blocks', 'bytes', 'docs', 'first', 'id', 'last']);

  // Keys: blocks 0..blocks-1, one block index, one key per large term, the two norms.
  const blockKeys = fake.puts.filter((k) => k[1] === SegmentKey.Block);
  assert.deepEqual(
    blockKeys.map((k) => k[2]),
    Array.from({ length: info.blocks }, (_, b) => b),
  );
  assert.deepEqual(
    fake.puts.filter((k) => k[1] === SegmentKey.BlockIndex),
    [[segId, SegmentKey.BlockIndex]],
  );
  assert.deepEqual(
    fake.puts.filter((k) => k[1] === SegmentKey.LargeTerm).map((k) => k[2]),
    entries.filter(([, b]) => b.length > LARGE_TERM_BYTES).map(([t]) => t),
  );
  assert.equal(fake.puts.length, info.blocks + 1 + large + 2);
  assert.ok(fake.puts.every((k) => k[0] === segId));
  for (const k of blockKeys) {
    const len = (fake.store.get(JSON.stringify(k)) as Buffer).length;
    assert.ok(len <= BLOCK_TARGET_BYTES + LARGE_TERM_BYTES + 64, `block of ${len} bytes`);
  }

  checkSegment(fake.dbs, info, entries);
  checkNorms(fake, info, norms);

  // A second segment in the same store does not disturb the first.
  const other = sortedEntries(
    terms.slice(0, 500).map((t) => `${t}!`),
    (t) => utf8.encode(t.repeat(3)),
  );
  const secondNorms = patternNorms(500, 100);
  const second = writeSegment(fake, segId + 1, other, { first: 1001, last: 1500 }, secondNorms);
  checkSegment(fake.dbs, second.info, other);
  checkNorms(fake, second.info, secondNorms);
  checkSegment(fake.dbs, info, entries);
  checkNorms(fake, info, norms);
});

test('SegmentWriter + SegmentReader: arbitrary terms and payloads', () => {
  const payload = fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: LARGE_TERM_BYTES - 2, maxLength: LARGE_TERM_BYTES + 2 }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 5000 }) },
  );
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(termString, payload), { selector: ([t]) => t, maxLength: 150, size: 'medium' }), (rows) => {
      const byTerm = new Map(rows);
      const entries = sortedEntries(
        rows.map(([t]) => t),
        (t) => byTerm.get(t) as Uint8Array,
      );
      const fake = fakeDbs();
      const { info } = writeSegment(fake, 0, entries);
      checkSegment(fake.dbs, info, entries);
    }),
    { numRuns: 60 },
  );
});

test('SegmentWriter.finish stores the norms as little-endian bytes, SegmentReader.norms reads them back', () => {
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const normsArb = fc.array(fc.tuple(u16, u32), { maxLength: 700 });
  fc.assert(
    fc.property(normsArb, fc.nat(3), fc.nat(5), fc.nat(1000), fc.boolean(), (rows, titleSkip, bodySkip, segId, withTerms) => {
      // Views into larger buffers: only the view's bytes are stored.
      const titleBuf = new Uint16Array(rows.length + titleSkip + 2).fill(0xabcd);
      const bodyBuf = new Uint32Array(rows.length + bodySkip + 1).fill(0xdeadbeef);
      const norms: SegmentNorms = {
        title: titleBuf.subarray(titleSkip, titleSkip + rows.length),
        body: bodyBuf.subarray(bodySkip, bodySkip + rows.length),
      };
      rows.forEach(([t, b], i) => {
        norms.title[i] = t;
        norms.body[i] = b;
      });
      const fake = fakeDbs();
      const entries: [string, Uint8Array][] = withTerms ? [['中文', encode(0, [{ doc: 0, titleLen: 1, bodyLen: 1, positions: [1] }])]] : [];
      const { info } = writeSegment(fake, segId, entries, { first: 5, last: 5 + rows.length - 1 }, norms);
      checkNorms(fake, info, norms);
      assert.deepEqual(new Set(fake.puts.map((k) => JSON.stringify(k))).size, fake.puts.length);
    }),
    { numRuns: 200 },
  );
  // Concrete bytes: 0x0102 -> 02 01, 0x01020304 -> 04 03 02 01.
  const fake = fakeDbs();
  const { info } = writeSegment(
    fake,
    7,
    [],
    { first: 0, last: 1 },
    { title: Uint16Array.of(0x0102, 0xffff), body: Uint32Array.of(0x01020304, 5) },
  );
  assert.deepEqual([...(fake.store.get('[7,3]') as Buffer)], [...sealedBytes(Uint8Array.of(0x02, 0x01, 0xff, 0xff))]);
  assert.deepEqual([...(fake.store.get('[7,4]') as Buffer)], [...sealedBytes(Uint8Array.of(0x04, 0x03, 0x02, 0x01, 5, 0, 0, 0))]);
  checkNorms(fake, info, { title: Uint16Array.of(0x0102, 0xffff), body: Uint32Array.of(0x01020304, 5) });

  // Without its norms a segment cannot be read.
  fake.store.delete('[7,4]');
  assert.throws(() => new SegmentReader(fake.dbs, info).norms(), /norms are missing/);
});

test('a segment of encoded postings: payload lookups, norms and decodePostings give every posting back', () => {
  const docArb = fc.record({ titleLen: fc.nat(40), bodyLen: fc.oneof(fc.nat(300), fc.nat(100_000)) });
  const termArb = fc.tuple(
    termString,
    fc.array(fc.tuple(fc.nat(), fc.array(fc.nat(), { maxLength: 12 })), { minLength: 1, maxLength: 150 }),
  );
  fc.assert(
    fc.property(
      segFirstArb,
      fc.array(docArb, { minLength: 1, maxLength: 300 }),
      fc.uniqueArray(termArb, { selector: ([t]) => t, maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (first, docs, termRows, deadPicks) => {
        const postingsOf = new Map<string, Posting[]>();
        for (const [term, picks] of termRows) {
          const byDoc = new Map<number, number[]>();
          for (const [pick, raw] of picks) byDoc.set(pick % docs.length, raw);
          const postings = [...byDoc.keys()]
            .sort((x, y) => x - y)
            .map((i) => {
              const { titleLen, bodyLen } = docs[i] as { titleLen: number; bodyLen: number };
              const total = titleLen + bodyLen;
              const positions = total === 0 ? [] : [...new Set((byDoc.get(i) as number[]).map((p) => p % total))].sort((x, y) => x - y);
              return { doc: first + i, titleLen, bodyLen, positions };
            });
          postingsOf.set(term, postings);
        }
        const entries = sortedEntries([...postingsOf.keys()], (t) => encode(first, postingsOf.get(t) as Posting[]));
        const norms: SegmentNorms = {
          title: Uint16Array.from(docs, (d) => d.titleLen),
          body: Uint32Array.from(docs, (d) => d.bodyLen),
        };
        const fake = fakeDbs();
        const { info } = writeSegment(fake, 1, entries, { first, last: first + docs.length - 1 }, norms);
        const dead = new Set(deadPicks.map((p) => first + (p % docs.length)));

        // As the searcher does: norms first, then each payload decoded before the next read.
        const reader = new SegmentReader(fake.dbs, info);
        const cols = new PostingColumns();
        const expected: Posting[] = [];
        for (const [term] of entries) {
          const segNorms = reader.norms();
          const payload = reader.payload(term, utf8.encode(term));
          assert.ok(payload !== null, `term ${JSON.stringify(term)} not found`);
          const alive = (postingsOf.get(term) as Posting[]).filter((p) => !dead.has(p.doc));
          assert.equal(decodePostings(payload, info.first, segNorms, dead, cols), alive.length);
          expected.push(...alive);
        }
        assert.deepEqual(plainColumns(cols), expectedColumns(expected));
        for (const term of absentCandidates([...postingsOf.keys()]).slice(0, 20)) {
          assert.equal(reader.payload(term, utf8.encode(term)), null);
        }
        // entries() gives the same payloads, which decode to the same postings.
        for (const { term, payload } of reader.entries()) {
          assert.deepEqual(decodeAll(payload, first), expectedPostings(postingsOf.get(term) as Posting[]));
        }
      },
    ),
    { numRuns: 100 },
  );
});

test('an empty segment has no blocks and finds nothing', () => {
  const fake = fakeDbs();
  const empty: SegmentNorms = { title: new Uint16Array(0), body: new Uint32Array(0) };
  const { info } = writeSegment(fake, 9, [], { first: 0, last: -1 }, empty);
  assert.equal(info.blocks, 0);
  const reader = new SegmentReader(fake.dbs, info);
  assert.equal(reader.payload('中文', utf8.encode('中文')), null);
  assert.equal(reader.payload('', new Uint8Array(0)), null);
  assert.deepEqual([...reader.entries()], []);
  checkNorms(fake, info, empty);
});

test('addTerm throws when terms are not in ascending order', () => {
  const one = new ByteWriter();
  one.uint(1);
  fc.assert(
    fc.property(fc.uniqueArray(termString, { minLength: 2, maxLength: 2 }), ([x, y]) => {
      const [lo, hi] = (x as string) < (y as string) ? [x as string, y as string] : [y as string, x as string];
      const w = new SegmentWriter(0, () => {});
      w.addTerm(hi, one);
      assert.throws(() => w.addTerm(lo, one), /out of order/);
      const same = new SegmentWriter(0, () => {});
      same.addTerm(lo, one);
      assert.throws(() => same.addTerm(lo, one), /out of order/);
      same.addTerm(hi, one);
    }),
    { numRuns: 300 },
  );
  const w = new SegmentWriter(0, () => {});
  w.addTerm('中文', one);
  assert.throws(() => w.addTerm('中', one), /out of order/);
  // JavaScript (UTF-16) order, not code point order: U+FFFF sorts after an astral character.
  w.addTerm('中文😀', one);
  w.addTerm('中文\uffff', one);
  assert.throws(() => w.addTerm('中文😀😀', one), /out of order/);
});

// ---------------------------------------------------------------- router, top-k, merge policy

test('shardOf is deterministic and in range', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (id, n) => {
      const s = shardOf(id, n);
      assert.ok(Number.isInteger(s) && s >= 0 && s < n);
      assert.equal(shardOf(id, n), s);
      assert.equal(shardOf(id, 1), 0);
    }),
    { numRuns: 1000 },
  );
});

test('shardOf spreads ids evenly over 4 shards', () => {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 10_000; i++) {
    const s = shardOf(`doc-${i}`, 4);
    counts[s] = (counts[s] as number) + 1;
  }
  for (const c of counts) assert.ok(c >= 2000 && c <= 3000, JSON.stringify(counts));
  // Chinese ids too.
  const zh = [0, 0, 0, 0];
  for (let i = 0; i < 10_000; i++) {
    const s = shardOf(`文章${i}号`, 4);
    zh[s] = (zh[s] as number) + 1;
  }
  for (const c of zh) assert.ok(c >= 2000 && c <= 3000, JSON.stringify(zh));
});

test('topK equals sorting and slicing', () => {
  const byNumber = (a: number, b: number): number => a - b;
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 200 }), fc.integer({ min: -2, max: 220 }), (items, k) => {
      const best = topK(items, k, (a, b) => a > b);
      const expected = [...items].sort((a, b) => b - a).slice(0, Math.max(k, 0));
      assert.deepEqual([...best].sort(byNumber), expected.sort(byNumber));
      // From an iterable, smallest first.
      const least = topK(new Set(items), k, (a, b) => a < b);
      assert.deepEqual([...least].sort(byNumber), [...new Set(items)].sort(byNumber).slice(0, Math.max(k, 0)));
    }),
    { numRuns: 1000 },
  );
});

test('topK with ties on a score keeps k items of the best scores', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ score: fc.nat(5), id: fc.nat() }), { maxLength: 100 }), fc.nat(30), (items, k) => {
      const best = topK(items, k, (a, b) => a.score > b.score);
      assert.equal(best.length, Math.min(k, items.length));
      const scores = best.map((x) => x.score).sort((a, b) => b - a);
      const expected = items
        .map((x) => x.score)
        .sort((a, b) => b - a)
        .slice(0, k);
      assert.deepEqual(scores, expected);
      // Every returned item is one of the inputs, none twice.
      assert.equal(new Set(best).size, best.length);
      for (const x of best) assert.ok(items.includes(x));
    }),
    { numRuns: 500 },
  );
});

/** A segment of the given level: level 0 is up to 8 floors, level L >= 1 between 8^L and 8^(L+1) floors. */
function segmentOfLevel(level: number, u: number): SegmentInfo {
  const bytes = level === 0 ? Math.floor(u * 8 * LEVEL_FLOOR_BYTES) : Math.floor(LEVEL_FLOOR_BYTES * 8 ** level * (1 + 6.9 * u));
  return { id: 0, first: 0, last: 0, docs: 1, bytes, blocks: 1 };
}
const levelArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constant(1) },
  { weight: 1, arbitrary: fc.constant(2) },
);
const fraction = fc.double({ min: 0.01, max: 0.99, noNaN: true });
const segmentArb = fc.tuple(levelArb, fraction).map(([level, u]) => segmentOfLevel(level, u));
/** Independent segments (merges are rare), or runs of one level (merges are common, runs of 7 too). */
const segmentListArb = fc.oneof(
  fc.array(segmentArb, { maxLength: 40 }),
  fc
    .array(fc.tuple(levelArb, fc.integer({ min: 1, max: MERGE_FACTOR + 2 }), fraction), { maxLength: 8 })
    .map((runs) =>
      runs.flatMap(([level, n, u]) => Array.from({ length: n }, (_, i) => segmentOfLevel(level, ((u * (i + 1)) % 0.98) + 0.01))),
    ),
);

test('levelOf size classes', () => {
  assert.equal(levelOf({ id: 0, first: 0, last: 0, docs: 0, bytes: 0, blocks: 0 }), 0);
  const at = (bytes: number) => levelOf({ id: 0, first: 0, last: 0, docs: 0, bytes, blocks: 0 });
  assert.equal(at(LEVEL_FLOOR_BYTES), 0);
  assert.equal(at(LEVEL_FLOOR_BYTES * MERGE_FACTOR - 1), 0);
  assert.equal(at(LEVEL_FLOOR_BYTES * MERGE_FACTOR), 1);
  assert.equal(at(LEVEL_FLOOR_BYTES * MERGE_FACTOR ** 2), 2);
  assert.equal(at(LEVEL_FLOOR_BYTES * MERGE_FACTOR ** 2 - 1), 1);
});

test('pickMerge returns the oldest MERGE_FACTOR adjacent segments of one level, or null', () => {
  fc.assert(
    fc.property(segmentListArb, (raw) => {
      const segments = raw.map((s, i) => ({ ...s, id: i, first: i * 100, last: i * 100 + 99 }));
      const levels = segments.map(levelOf);
      // The reference: the first window of MERGE_FACTOR adjacent segments of one level.
      let expectedStart = -1;
      for (let i = 0; i + MERGE_FACTOR <= segments.length && expectedStart < 0; i++) {
        const window = levels.slice(i, i + MERGE_FACTOR);
        if (window.every((l) => l === window[0])) expectedStart = i;
      }
      const pick = pickMerge(segments, Number.POSITIVE_INFINITY); // the unbounded policy; the bound: memory.test.ts
      if (segments.length < MERGE_FACTOR) assert.equal(pick, null);
      if (expectedStart < 0) {
        assert.equal(pick, null);
        return;
      }
      assert.ok(pick !== null);
      assert.equal(pick.length, MERGE_FACTOR);
      const start = segments.indexOf(pick[0] as SegmentInfo);
      assert.equal(start, expectedStart);
      pick.forEach((s, j) => {
        assert.equal(s, segments[start + j], 'adjacent, in input order');
        assert.equal(levelOf(s), levelOf(pick[0] as SegmentInfo));
      });
    }),
    { numRuns: 2000 },
  );
  const seg = (bytes: number, id: number): SegmentInfo => ({ id, first: id, last: id, docs: 1, bytes, blocks: 1 });
  const small = Array.from({ length: MERGE_FACTOR - 1 }, (_, i) => seg(100, i));
  assert.equal(pickMerge([]), null);
  assert.equal(pickMerge(small), null);
  assert.deepEqual(pickMerge([...small, seg(200, 99)])?.length, MERGE_FACTOR);
  // Broken by a bigger segment in the middle: no merge.
  const broken = [...small.slice(0, 4), seg(LEVEL_FLOOR_BYTES * 10, 50), ...small.slice(4), seg(1, 60)];
  assert.equal(pickMerge(broken), null);
});

test('crc32c: the standard check values (RFC 3720, iSCSI) and any split of the input', () => {
  const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  assert.equal(crc32c(ascii('The quick brown fox jumps over the lazy dog')), 0x22620404);
  // The slicing-by-8 loop against the byte-at-a-time definition, at every offset and length.
  const bitwise = (bytes: Uint8Array): number => {
    let c = ~0;
    for (const b of bytes) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const start = a % (bytes.length + 1);
      const end = start + (b % (bytes.length - start + 1));
      assert.equal(crc32c(bytes, start, end), bitwise(bytes.subarray(start, end)));
    }),
    { numRuns: 500 },
  );
  // Long ranges, which the native code checksums where its binary installed (as on Linux x64 and arm64).
  if (process.platform === 'linux' && ['x64', 'arm64'].includes(process.arch)) assert.ok(crc32cNative(), '@node-rs/crc32 did not load');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1000, maxLength: 6000 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      const start = a % 64;
      const end = bytes.length - (b % 64);
      assert.equal(crc32c(bytes, start, end), bitwise(bytes.subarray(start, end)));
      assert.equal(crc32c(bytes), bitwise(bytes));
    }),
    { numRuns: 200 },
  );
});

test('a sealed value: unseal gives the data back; any flipped bit is an E_CORRUPT naming the place', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (data, at, bit) => {
      const value = sealed(data);
      assert.deepEqual([...unseal(value, () => 'here')], [...data]);
      assert.equal(sealFault(value), null);
      const i = at % value.length;
      value[i] = (value[i] as number) ^ (1 << bit);
      assert.match(sealFault(value) ?? '', /checksum mismatch/);
      assert.throws(
        () => unseal(value, () => 'shard 2 segment 5 key postings [5,0,1]'),
        (err: unknown) =>
          err instanceof EngineError && err.code === 'E_CORRUPT' && /shard 2 segment 5 key postings \[5,0,1\]/.test(err.message),
      );
    }),
    { numRuns: 300 },
  );
  assert.match(sealFault(Uint8Array.of(1, 2)) ?? '', /too short/);
});

test('SegmentReader: a flipped byte in any value of a segment is an E_CORRUPT naming shard, segment and key, never a wrong payload', () => {
  const entries = sortedEntries(
    Array.from({ length: 400 }, (_, i) => `词${i}`),
    (_t, i) => encode(0, [{ doc: i % 50, titleLen: 2, bodyLen: 30, positions: [3 + (i % 20)] }]),
  );
  // One large term too (its own key).
  entries.push(['词~', new Uint8Array(LARGE_TERM_BYTES + 10).fill(3)]);
  const fake = fakeDbs();
  (fake.dbs as { shard: number }).shard = 6;
  const norms = patternNorms(50, 7);
  const { info } = writeSegment(fake, 4, entries, { first: 0, last: 49 }, norms);
  const rand = prng(12);
  for (const key of [...fake.store.keys()]) {
    const value = fake.store.get(key) as Buffer;
    const original = Buffer.from(value);
    const at = Math.floor(rand() * value.length);
    value[at] = (value[at] as number) ^ (1 << Math.floor(rand() * 8));
    const reader = new SegmentReader(fake.dbs, info);
    let raised = 0;
    const expectCorrupt = (f: () => unknown): void => {
      try {
        f();
      } catch (err) {
        assert.ok(err instanceof EngineError && err.code === 'E_CORRUPT', String(err));
        assert.ok(err.message.includes(`shard 6 segment 4 key postings ${key}`), err.message);
        raised++;
        return;
      }
    };
    expectCorrupt(() => reader.norms());
    for (const [term, bytes] of entries) {
      expectCorrupt(() => {
        const got = reader.payload(term, utf8.encode(term));
        assert.ok(got !== null && Buffer.from(bytes).equals(got), `payload of ${term} with ${key} damaged`);
      });
    }
    expectCorrupt(() => [...reader.entries()]);
    assert.ok(raised > 0, `damage to ${key} went unnoticed`);
    original.copy(value);
  }
});

// ---------------------------------------------------------------- blocks of 128 (format 3)

/** Postings of 1..700 documents from segFirst (1 or large), with small positions: many blocks quickly. */
function longList(rand: () => number): Posting[] {
  const count = 1 + Math.floor(rand() * 700);
  let doc = rand() < 0.5 ? 1 : 1 + Math.floor(rand() * 100_000_000);
  return Array.from({ length: count }, (_, i): Posting => {
    doc += i === 0 ? 0 : 1 + Math.floor(rand() * 5);
    const tfT = Math.floor(rand() * 4);
    const tfB = Math.floor(rand() * 4);
    const tl = Math.max(Math.floor(rand() * 31), tfT);
    const bl = Math.max(Math.floor(rand() * 401), tfB * 2 + 1);
    const positions = [...Array.from({ length: tfT }, (_, k) => k), ...Array.from({ length: tfB }, (_, k) => tl + 1 + k * 2)];
    return { doc, titleLen: tl, bodyLen: bl, positions };
  });
}

test('long lists: blocks of 128 with skip entries decode to every posting, positions and bounds', () => {
  const walker = new PayloadWalker();
  const rand = prng(128);
  for (let run = 0; run < 60; run++) {
    {
      const postings = longList(rand);
      const wantPicks = Array.from({ length: Math.floor(rand() * 60) }, () => Math.floor(rand() * 1e6));
      const deadPicks = Array.from({ length: Math.floor(rand() * 30) }, () => Math.floor(rand() * 1e6));
      const segFirst = (postings[0] as Posting).doc - 1;
      const norms = normsFor(segFirst, postings);
      const out = new ByteWriter(8);
      encodePayload(out, new ByteWriter(8), segFirst, columnsOf(postings), norms);
      const payload = out.toBuffer();
      if (postings.length <= BLOCK_DOCS)
        assert.deepEqual(decodeAll(payload, segFirst), expectedPostings(postings), 'one block: the plain layout');
      const cols = new PostingColumns();
      assert.equal(decodePostings(payload, segFirst, norms, null, cols), postings.length);
      assert.deepEqual(plainColumns(cols), expectedColumns(postings));
      // Dead documents are skipped in any block.
      const dead = new Set(deadPicks.map((p) => (postings[p % postings.length] as Posting).doc));
      const alive = postings.filter((p) => !dead.has(p.doc));
      const live = new PostingColumns();
      assert.equal(decodePostings(payload, segFirst, norms, dead, live), alive.length);
      assert.deepEqual(plainColumns(live), expectedColumns(alive));
      // Positions of any sorted set of wanted docNums (some absent), through the skip table.
      const wanted = [
        ...new Set(wantPicks.map((p) => (p % 3 === 0 ? segFirst + (p % 5000) : (postings[p % postings.length] as Posting).doc))),
      ].sort((a, b) => a - b);
      const lists = new PositionLists().reset(Int32Array.from(wanted));
      decodePositions(payload, segFirst, lists);
      wanted.forEach((doc, k) => {
        const p = postings.find((x) => x.doc === doc);
        assert.deepEqual([...lists.of(k)], p?.positions ?? [], `positions of ${doc}`);
      });
      assert.equal(positionsBytes(payload), positionSectionBytes(postings));
      // The skip table: last docNums and exact bounds per block.
      const skip = new SkipTable().read(payload, segFirst);
      assert.equal(skip.blocks, Math.ceil(postings.length / BLOCK_DOCS));
      if (skip.blocks > 1) {
        for (let b = 0; b < skip.blocks; b++) {
          const inBlock = postings.slice(b * BLOCK_DOCS, (b + 1) * BLOCK_DOCS);
          assert.equal(skip.lastDoc[b], (inBlock.at(-1) as Posting).doc);
          assert.equal(skip.maxTfTitle[b], Math.max(...inBlock.map(tfTitleOf)));
          assert.equal(skip.maxTfBody[b], Math.max(...inBlock.map((p) => p.positions.length - tfTitleOf(p))));
          // Over the titles that hold the word (0 when none does): a tighter bound, and the exact-title flag of block-max.
          const titled = inBlock.filter((p) => tfTitleOf(p) > 0);
          assert.equal(skip.minTitleLen[b], titled.length === 0 ? 0 : Math.min(...titled.map((p) => p.titleLen)));
          assert.equal(skip.minBodyLen[b], Math.min(...inBlock.map((p) => p.bodyLen)));
        }
      }
      // verify's walker accepts it and sees every posting.
      const seen: number[] = [];
      assert.equal(
        walker.walk(payload, segFirst, segFirst + 1_000_000, (doc) => seen.push(doc), norms),
        null,
      );
      assert.deepEqual(
        seen,
        postings.map((p) => p.doc),
      );
      // A merge of the list cut in two sources, with deaths, equals encoding the survivors.
      const cut = Math.floor(postings.length / 2);
      const a = postings.slice(0, cut);
      const b = postings.slice(cut);
      const bFirst = a.length > 0 ? (a.at(-1) as Posting).doc + 1 : segFirst;
      const encodeWith = (first: number, ps: Posting[]): Buffer => {
        const w = new ByteWriter(8);
        encodePayload(w, new ByteWriter(8), first, columnsOf(ps), normsFor(segFirst, postings));
        return w.toBuffer();
      };
      const merger = new PayloadMerger();
      merger.start(segFirst, norms);
      merger.append(encodeWith(segFirst, a), segFirst, dead);
      merger.append(encodeWith(bFirst, b), bFirst, dead);
      const merged = new ByteWriter(8);
      if (merger.finish(merged)) {
        const expect = new ByteWriter(8);
        encodePayload(expect, new ByteWriter(8), segFirst, columnsOf(alive), norms);
        assert.deepEqual(merged.toBuffer(), expect.toBuffer());
      } else assert.equal(alive.length, 0);
    }
  }
});

/** Bytes the positions of these postings take (gaps from 0 within each, as varints). */
function positionSectionBytes(postings: Posting[]): number {
  let bytes = 0;
  for (const p of postings) {
    let prev = 0;
    for (const pos of p.positions) {
      const gap = pos - prev;
      prev = pos;
      bytes += gap < 0x80 ? 1 : gap < 0x4000 ? 2 : gap < 0x200000 ? 3 : 4;
    }
  }
  return bytes;
}

test('long lists: a flipped bit anywhere is an E_CORRUPT or, where the read does not reach, the same answer', () => {
  const rand = prng(7);
  for (let run = 0; run < 300; run++) {
    {
      const postings = longList(rand);
      if (postings.length <= BLOCK_DOCS) continue;
      const pick = Math.floor(rand() * 1e6);
      const bit = Math.floor(rand() * 8);
      const segFirst = (postings[0] as Posting).doc;
      const norms = normsFor(segFirst, postings);
      const out = new ByteWriter(8);
      encodePayload(out, new ByteWriter(8), segFirst, columnsOf(postings), norms);
      const payload = out.toBuffer();
      // The count's own bytes are covered by the value's seal when they read as one block (see SegmentReader.readLarge).
      const i = 2 + Math.floor(rand() * (payload.length - 2));
      payload[i] = (payload[i] as number) ^ (1 << bit);
      const typed = (f: () => void): boolean => {
        try {
          f();
          return false;
        } catch (err) {
          assert.ok(err instanceof EngineError && err.code === 'E_CORRUPT', `byte ${i} bit ${bit}: ${String(err)}`);
          return true;
        }
      };
      // A full decode of the postings (not their positions): caught, or exactly right.
      const cols = new PostingColumns();
      if (!typed(() => decodePostings(payload, segFirst, norms, null, cols)))
        assert.deepEqual(plainColumns(cols), expectedColumns(postings));
      // Merging reads everything, positions too: always caught.
      const merger = new PayloadMerger();
      merger.start(segFirst, norms);
      assert.ok(
        typed(() => merger.append(payload, segFirst, null)),
        `byte ${i} bit ${bit} not caught by a merge`,
      );
      // One document's positions: caught, or exactly right.
      const doc = (postings[pick % postings.length] as Posting).doc;
      const lists = new PositionLists().reset(Int32Array.of(doc));
      if (!typed(() => decodePositions(payload, segFirst, lists))) {
        assert.deepEqual([...lists.of(0)], (postings.find((p) => p.doc === doc) as Posting).positions);
      }
    }
  }
});
