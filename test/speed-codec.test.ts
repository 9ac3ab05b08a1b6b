import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { crc32c } from '../src/store/crc32c.js';
import { type EncodeColumns, encodePayload, PayloadBuilder } from '../src/store/postings-codec.js';
import { SegmentWriter } from '../src/store/segment-writer.js';
import { ByteWriter } from '../src/store/varint.js';

// One posting: doc gap, and ascending positions with the first `titleCount` in the title.
const posting = fc.record({
  gap: fc.integer({ min: 0, max: 70_000 }),
  titleCount: fc.integer({ min: 0, max: 3 }),
  positions: fc.uniqueArray(fc.integer({ min: 0, max: 300_000 }), { maxLength: 12 }).map((p) => p.sort((a, b) => a - b)),
});

test('PayloadBuilder gives the bytes of encodePayload', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.array(posting, { maxLength: 40 }), (segFirst, shapes) => {
      const n = shapes.length;
      const cols: EncodeColumns = {
        count: n,
        docNums: new Int32Array(n),
        tfTitle: new Int32Array(n),
        tfBody: new Int32Array(n),
        positions: new Int32Array(shapes.reduce((s, p) => s + p.positions.length, 0)),
      };
      const builder = new PayloadBuilder();
      builder.start(segFirst);
      let doc = segFirst;
      let at = 0;
      shapes.forEach((s, i) => {
        doc += i === 0 ? s.gap : s.gap + 1;
        const tfTitle = Math.min(s.titleCount, s.positions.length);
        cols.docNums[i] = doc;
        cols.tfTitle[i] = tfTitle;
        cols.tfBody[i] = s.positions.length - tfTitle;
        let prev = 0;
        for (const pos of s.positions) {
          cols.positions[at++] = pos;
          builder.gap(pos - prev);
          prev = pos;
        }
        builder.posting(doc, tfTitle, s.positions.length - tfTitle);
      });
      const expected = new ByteWriter(8);
      encodePayload(expected, new ByteWriter(8), segFirst, cols);
      const actual = new ByteWriter(8);
      assert.equal(builder.finish(actual), n > 0);
      if (n > 0) assert.deepEqual(actual.toBuffer(), expected.toBuffer());
    }),
    { numRuns: 300 },
  );
});

test('SegmentWriter blocks: a varint term count, then the head and the payloads', () => {
  const puts: [(string | number)[], Buffer][] = [];
  const writer = new SegmentWriter(7, (key, value) => puts.push([key, value]));
  const payload = new ByteWriter(8);
  // 300 terms: more than 127 in a block, so the count takes two bytes.
  const terms = Array.from({ length: 300 }, (_, i) => `t${String(i).padStart(3, '0')}`);
  for (const t of terms) {
    payload.reset();
    payload.uint(1);
    writer.addTerm(t, payload);
  }
  const blocks = writer.finish({ title: new Uint16Array(0), body: new Uint32Array(0) });
  assert.equal(blocks, 1);
  const block = puts.find(([key]) => key[1] === 0)?.[1] as Buffer;
  assert.deepEqual([...block.subarray(0, 2)], [(300 % 128) | 0x80, 300 >> 7]);
  // Each head entry: length byte, 4 bytes of term, payload length 1; then 300 one-byte payloads, then the CRC32C.
  assert.equal(block.length, 2 + 300 * 6 + 300 + 4);
  assert.deepEqual([...block.subarray(2, 8)], [4, ...Buffer.from('t000'), 1]);
  assert.equal(block.readUInt32LE(block.length - 4), crc32c(block, 0, block.length - 4));
  const index = puts.find(([key]) => key[1] === 1)?.[1] as Buffer;
  assert.deepEqual([...index.subarray(0, 6)], [1, 4, ...Buffer.from('t000')]);
  assert.equal(index.length, 10);
  assert.equal(index.readUInt32LE(6), crc32c(index, 0, 6));
});

test('ByteWriter.range and append copy small and large runs exactly', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 100 }), (src, a, b, prefix) => {
      const start = src.length === 0 ? 0 : a % (src.length + 1);
      const end = start + (src.length - start === 0 ? 0 : b % (src.length - start + 1));
      const w = new ByteWriter(16);
      w.bytes(prefix);
      w.range(src, start, end);
      const other = new ByteWriter(16);
      other.bytes(src);
      w.append(other);
      assert.deepEqual(w.toBuffer(), Buffer.concat([prefix, src.subarray(start, end), src]));
    }),
    { numRuns: 500 },
  );
});
