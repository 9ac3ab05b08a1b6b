import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Analyzer } from '../src/analysis/analyzer.js';
import { type BodyChunkReader, escapeHtml, makeSnippet } from '../src/search/snippets.js';

const analyzer = Analyzer.load();

/** A body split into chunks of `chunkBytes` (cutting UTF-8 characters, as 1 MiB chunks do), counting reads. */
function chunked(body: string, chunkBytes = 1024 * 1024): BodyChunkReader & { reads: number } {
  const bytes = new TextEncoder().encode(body);
  const read = ((i: number) => {
    read.reads++;
    const at = i * chunkBytes;
    return at < bytes.length || (i === 0 && bytes.length === 0) ? bytes.subarray(at, at + chunkBytes) : undefined;
  }) as BodyChunkReader & { reads: number };
  read.reads = 0;
  return read;
}

const termsOf = (q: string): string[] => analyzer.queryTerms(q).map((t) => t.term);
const marked = (s: { plain: string; highlights: [number, number][] }): string[] => s.highlights.map(([a, b]) => s.plain.slice(a, b));
const unmark = (html: string, [open, close]: [string, string]): string =>
  html
    .split(open)
    .join('')
    .split(close)
    .join('')
    .replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] as string);

const ARTICLE =
  '排查一次线上事故。凌晨三点，监控报警：服务器的内存占用持续升高。' +
  '我们先看了日志，没有发现异常。后来用堆快照分析，发现缓存没有设置上限，最终导致内存溢出，进程被系统杀死。' +
  '修复的办法很简单：给缓存加上容量限制，并在压力测试中验证。';

test('the best window holds the most distinct query words', () => {
  const s = makeSnippet(chunked(ARTICLE), termsOf('缓存 内存溢出'), analyzer, { fragments: 1, fragmentChars: 40 });
  assert.deepEqual(new Set(marked(s)), new Set(['缓存', '内存溢出']));
  assert.ok(s.text.startsWith('…') && s.text.endsWith('…'), s.text);
});

test('whole words only: a sub-word is highlighted, a non-word substring is not', () => {
  assert.deepEqual(marked(makeSnippet(chunked(ARTICLE), termsOf('内存'), analyzer)), ['内存', '内存']);
  assert.deepEqual(marked(makeSnippet(chunked(ARTICLE), termsOf('存溢'), analyzer)), []);
});

test('markers, ellipsis and escaping are configurable', () => {
  const body = 'if (a < b && c > d) { return "内存"; }';
  const s = makeSnippet(chunked(body), termsOf('内存'), analyzer, { markers: ['**', '**'] });
  assert.equal(s.text, 'if (a &lt; b &amp;&amp; c &gt; d) { return &quot;**内存**&quot;; }');
  const raw = makeSnippet(chunked(body), termsOf('内存'), analyzer, { escapeHtml: false });
  assert.equal(raw.text, 'if (a < b && c > d) { return "<mark>内存</mark>"; }');
  assert.equal(escapeHtml(`<a href='x'>&</a>`), '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
  const cut = makeSnippet(chunked(ARTICLE), termsOf('压力测试'), analyzer, { fragmentChars: 20, ellipsis: ' ... ' });
  assert.ok(cut.text.startsWith(' ... '), cut.text);
});

test('no match: the beginning of the body, nothing highlighted', () => {
  const s = makeSnippet(chunked(ARTICLE), termsOf('数据库'), analyzer, { fragmentChars: 20 });
  assert.equal(s.plain, `${ARTICLE.slice(0, 20)}…`);
  assert.deepEqual(s.highlights, []);
});

test('upper case, full-width letters and an ellipsis in the text are still found', () => {
  const body = '前言……然后 Node.js 的ＧＣ说明了一切。';
  const s = makeSnippet(chunked(body), termsOf('node gc'), analyzer);
  assert.deepEqual(marked(s), ['Node', 'ＧＣ']);
});

test('chunks that cut UTF-8 characters are decoded across the cut; reading stops at maxScanChars', () => {
  const body = `${'前'.repeat(3000)}内存溢出${'后'.repeat(30_000)}`;
  const read = chunked(body, 1000); // 1000 bytes: every chunk boundary splits a character
  const s = makeSnippet(read, termsOf('内存溢出'), analyzer, { maxScanChars: 4000 });
  assert.deepEqual(marked(s), ['内存溢出']);
  // ~4000 characters of 3 bytes: about 12 chunks read, not the 100 of the whole body.
  assert.ok(read.reads <= 14, `${read.reads} reads`);
  assert.equal(s.truncated, true);
});

test('property: any body and terms give well-formed snippets', () => {
  const pieces = ['内存', '溢出', '😀', '<', '&', '"', ' ', '。', 'Node', 'é', 'e\u0301', '\n', '記憶體', '…'];
  const body = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 4 })), { maxLength: 60 }).map((p) => p.join(''));
  const query = fc.oneof(fc.constantFrom('内存', '溢出 node', '😀', 'e', ''), fc.string({ maxLength: 6 }));
  fc.assert(
    fc.property(body, query, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3 }), (text, q, chunkBytes, fragments) => {
      // Markers that the generated text cannot hold (fc.string gives printable ASCII), or unmark could not tell them apart.
      const markers: [string, string] = ['⟦', '⟧'];
      const s = makeSnippet(chunked(text, chunkBytes), termsOf(q), analyzer, { markers, fragments, fragmentChars: 20 });
      // No lone surrogate anywhere.
      assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s.plain), JSON.stringify(s.plain));
      // The HTML is the plain text, escaped, with markers.
      assert.equal(unmark(s.text, markers), s.plain);
      assert.ok(!/[<>"']/.test(s.text.split(markers[0]).join('').split(markers[1]).join('')));
      // Highlights are ordered, disjoint, inside the text; fragments are inside the body.
      let last = 0;
      for (const [a, b] of s.highlights) {
        assert.ok(a >= last && b > a && b <= s.plain.length);
        last = b;
      }
      for (const [a, b] of s.fragments) assert.ok(a >= 0 && b <= text.length && a <= b);
    }),
    { numRuns: 300 },
  );
});
