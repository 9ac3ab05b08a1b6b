import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LEVEL_FLOOR_BYTES, levelOf, MERGE_FACTOR, pickMerge } from '../src/indexing/merge-policy.js';
import { shardOf } from '../src/router.js';
import { topK } from '../src/search/top-k.js';
import {
  decodePostings,
  type EncodeColumns,
  emptyColumns,
  encodePayload,
  PayloadMerger,
  type PostingColumns,
} from '../src/store/postings-codec.js';
import { SegmentReader } from '../src/store/segment-reader.js';
import { BLOCK_TARGET_BYTES, LARGE_TERM_BYTES, SegmentWriter } from '../src/store/segment-writer.js';
import { type SegmentInfo, SegmentKey, type ShardDbs } from '../src/store/shard-store.js';
import { sortedTermIds } from '../src/store/term-order.js';
import { ByteReader, ByteWriter } from '../src/store/varint.js';

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder();

/** A deterministic PRNG (mulberry32) for the large fixed-size fixtures. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
      for (const s of strings) assert.equal(readString(r), s);
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

interface Decoded extends PostingColumns {
  positions: number[][];
}

const postingShape = fc
  .record({
    gap: fc.oneof(fc.nat(3), fc.nat(1000), fc.nat(1_000_000)),
    titleLen: fc.nat(30),
    bodyLen: fc.oneof(fc.nat(200), fc.nat(100_000)),
  })
  .chain(({ gap, titleLen, bodyLen }) => {
    const total = titleLen + bodyLen;
    const positions =
      total === 0
        ? fc.constant<number[]>([])
        : fc.uniqueArray(fc.integer({ min: 0, max: total - 1 }), { maxLength: 12 }).map((p) => p.sort((x, y) => x - y));
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
    titleLen: new Int32Array(n + 3),
    bodyLen: new Int32Array(n + 3),
    positions: new Int32Array(positions.length + 5),
  };
  cols.positions.set(positions);
  postings.forEach((p, i) => {
    const tfT = tfTitleOf(p);
    cols.docNums[i] = p.doc;
    cols.tfTitle[i] = tfT;
    cols.tfBody[i] = p.positions.length - tfT;
    cols.titleLen[i] = p.titleLen;
    cols.bodyLen[i] = p.bodyLen;
  });
  return cols;
}

function encode(segFirst: number, postings: Posting[]): Buffer {
  const out = new ByteWriter(16);
  encodePayload(out, new ByteWriter(8), segFirst, columnsOf(postings));
  return out.toBuffer();
}

function expectedColumns(postings: Posting[]): Decoded {
  return {
    docNums: postings.map((p) => p.doc),
    tfTitle: postings.map(tfTitleOf),
    tfBody: postings.map((p) => p.positions.length - tfTitleOf(p)),
    titleLen: postings.map((p) => p.titleLen),
    bodyLen: postings.map((p) => p.bodyLen),
    positions: postings.map((p) => p.positions),
  };
}

/** Decodes a whole payload, positions included, from the format documented in postings-codec.ts. */
function decodeAll(payload: Uint8Array, segFirst: number): Decoded {
  const head = new ByteReader(payload);
  const n = head.uint();
  const postingsBytes = head.uint();
  const r = new ByteReader(payload, head.pos, head.pos + postingsBytes);
  const out: Decoded = { ...emptyColumns(), positions: [] };
  let doc = segFirst;
  for (let i = 0; i < n; i++) {
    doc += r.uint();
    out.docNums.push(doc);
    out.tfTitle.push(r.uint());
    out.tfBody.push(r.uint());
    out.titleLen.push(r.uint());
    out.bodyLen.push(r.uint());
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
      const expected = expectedColumns(postings);
      assert.deepEqual(decodeAll(payload, segFirst), expected);

      const cols = emptyColumns();
      assert.equal(decodePostings(payload, segFirst, null, cols), postings.length);
      const { positions: _, ...withoutPositions } = expected;
      assert.deepEqual(cols, withoutPositions);
    }),
    { numRuns: 500 },
  );
});

test('decodePostings skips exactly the dead docNums and appends to the columns', () => {
  fc.assert(
    fc.property(
      segFirstArb,
      fc.array(fc.tuple(postingShape, fc.boolean()), { minLength: 1, maxLength: 40 }),
      fc.array(fc.nat(), { maxLength: 5 }),
      (segFirst, rows, strayDead) => {
        const postings = postingsFrom(
          segFirst,
          rows.map(([s]) => s),
        );
        const dead = new Set<number>(strayDead.map((x) => x + (postings.at(-1) as Posting).doc + 1));
        rows.forEach(([, isDead], i) => {
          if (isDead) dead.add((postings[i] as Posting).doc);
        });
        const alive = postings.filter((p) => !dead.has(p.doc));
        const payload = encode(segFirst, postings);

        const cols = emptyColumns();
        cols.docNums.push(-1);
        cols.tfTitle.push(-1);
        cols.tfBody.push(-1);
        cols.titleLen.push(-1);
        cols.bodyLen.push(-1);
        assert.equal(decodePostings(payload, segFirst, dead, cols), alive.length);
        const e = expectedColumns(alive);
        assert.deepEqual(cols, {
          docNums: [-1, ...e.docNums],
          tfTitle: [-1, ...e.tfTitle],
          tfBody: [-1, ...e.tfBody],
          titleLen: [-1, ...e.titleLen],
          bodyLen: [-1, ...e.bodyLen],
        });
      },
    ),
    { numRuns: 500 },
  );
});

test('PayloadMerger equals encoding the surviving postings directly', () => {
  const segment = fc.tuple(fc.nat(50), fc.array(fc.tuple(postingShape, fc.boolean()), { maxLength: 25 }));
  fc.assert(
    fc.property(segFirstArb, fc.array(segment, { minLength: 1, maxLength: 4 }), (firstOfAll, segs) => {
      // Segments partition the docNum range: each starts after the previous one's last doc.
      const merger = new PayloadMerger();
      merger.start(firstOfAll);
      const survivors: Posting[] = [];
      let nextFirst = firstOfAll;
      const sources: { first: number; payload: Buffer; dead: Set<number> }[] = [];
      for (const [skip, rows] of segs) {
        const first = nextFirst + skip;
        const postings = postingsFrom(
          first,
          rows.map(([s]) => s),
        );
        const dead = new Set<number>();
        rows.forEach(([, isDead], i) => {
          if (isDead) dead.add((postings[i] as Posting).doc);
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
        return;
      }
      const merged = out.toBuffer().subarray(1);
      assert.deepEqual(decodeAll(merged, firstOfAll), expectedColumns(survivors));
      const cols = emptyColumns();
      decodePostings(merged, firstOfAll, null, cols);
      assert.deepEqual(
        cols.docNums,
        survivors.map((p) => p.doc),
      );
      assert.deepEqual(merged, encode(firstOfAll, survivors));

      // The merger is reusable: a second run over the same input gives the same bytes, also
      // when sources without deleted documents take the byte-copy path (dead = null).
      merger.start(firstOfAll);
      for (const s of sources) merger.append(s.payload, s.first, s.dead.size === 0 ? null : allDead);
      const again = new ByteWriter(1);
      assert.ok(merger.finish(again));
      assert.deepEqual(again.toBuffer(), merged);
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
});

// ---------------------------------------------------------------- segments

/** The part of ShardDbs a SegmentReader uses, over a Map. getBinaryFast reuses one buffer, as LMDB does. */
function fakeDbs(): { dbs: ShardDbs; store: Map<string, Buffer>; puts: (string | number)[][] } {
  const store = new Map<string, Buffer>();
  const puts: (string | number)[][] = [];
  let shared = Buffer.alloc(1 << 16);
  const postings = {
    getBinary(key: (string | number)[]): Buffer | undefined {
      const v = store.get(JSON.stringify(key));
      return v ? Buffer.from(v) : undefined;
    },
    getBinaryFast(key: (string | number)[]): Buffer | undefined {
      const v = store.get(JSON.stringify(key));
      if (!v) return undefined;
      if (v.length > shared.length) shared = Buffer.alloc(v.length * 2);
      shared.fill(0xee);
      v.copy(shared);
      return shared.subarray(0, v.length);
    },
  };
  return { dbs: { postings } as unknown as ShardDbs, store, puts };
}

function writeSegment(
  fake: ReturnType<typeof fakeDbs>,
  segId: number,
  entries: [string, Uint8Array][],
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
  const blocks = writer.finish();
  const info: SegmentInfo = { id: segId, first: 0, last: 1000, docs: 10, bytes: writer.bytes, blocks };
  return { info, writer };
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
  const { info, writer } = writeSegment(fake, segId, entries);
  assert.ok(info.blocks > 10, `${info.blocks} blocks`);
  assert.equal(writer.terms, entries.length);
  assert.equal(
    writer.bytes,
    entries.reduce((sum, [, b]) => sum + b.length, 0),
  );
  assert.deepEqual(Object.keys(info).sort(), ['blocks', 'bytes', 'docs', 'first', 'id', 'last']);

  // Keys: blocks 0..blocks-1, one block index, one key per large term.
  const blockKeys = fake.puts.filter((k) => k[1] === SegmentKey.Block);
  assert.deepEqual(
    blockKeys.map((k) => k[2]),
    Array.from({ length: info.blocks }, (_, b) => b),
  );
  assert.equal(fake.puts.filter((k) => k[1] === SegmentKey.BlockIndex).length, 1);
  assert.deepEqual(
    fake.puts.filter((k) => k[1] === SegmentKey.LargeTerm).map((k) => k[2]),
    entries.filter(([, b]) => b.length > LARGE_TERM_BYTES).map(([t]) => t),
  );
  assert.ok(fake.puts.every((k) => k[0] === segId));
  for (const k of blockKeys) {
    const len = (fake.store.get(JSON.stringify(k)) as Buffer).length;
    assert.ok(len <= BLOCK_TARGET_BYTES + LARGE_TERM_BYTES + 64, `block of ${len} bytes`);
  }

  checkSegment(fake.dbs, info, entries);

  // A second segment in the same store does not disturb the first.
  const other = sortedEntries(
    terms.slice(0, 500).map((t) => `${t}!`),
    (t) => utf8.encode(t.repeat(3)),
  );
  const second = writeSegment(fake, segId + 1, other);
  checkSegment(fake.dbs, second.info, other);
  checkSegment(fake.dbs, info, entries);
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

test('an empty segment has no blocks and finds nothing', () => {
  const fake = fakeDbs();
  const { info } = writeSegment(fake, 9, []);
  assert.equal(info.blocks, 0);
  const reader = new SegmentReader(fake.dbs, info);
  assert.equal(reader.payload('中文', utf8.encode('中文')), null);
  assert.equal(reader.payload('', new Uint8Array(0)), null);
  assert.deepEqual([...reader.entries()], []);
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
      const pick = pickMerge(segments);
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
