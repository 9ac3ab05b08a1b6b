/**
 * Pinyin, traditional Chinese and snippets on a real index made with openIndex: documents
 * written for the purpose plus the shipped sample. The query side (searcher) is rewritten
 * elsewhere, so lookups here use the functions it will call: Analyzer.queryTerms for the
 * terms, ShardReader.postings for the documents, makeSnippet for the fragments.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { Analyzer, type QueryTerm } from '../src/analysis/analyzer.js';
import { type Doc, isEngineError, openIndex } from '../src/index.js';
import { shardOf } from '../src/router.js';
import { ShardReader } from '../src/search/shard-reader.js';
import { type BodyChunkReader, bodyChunkReader, makeSnippet } from '../src/search/snippets.js';
import { readCurrent } from '../src/store/generations.js';
import { PostingColumns } from '../src/store/postings-codec.js';
import { type HitRecord, openShardDbs } from '../src/store/shard-store.js';
import { sampleDocs, tempDir } from './helpers.js';

/** The live generation's directory (index dir/gen-NNNNNN), where ruyi.json and the shards are. */
function generationDir(dir: string): string {
  return join(dir, readCurrent(dir) as string);
}

const SHARDS = 2;

const DOCS: Doc[] = [
  { id: 'oom-cn', title: '一次内存溢出的排查', body: '服务器在凌晨发生了内存溢出，进程被系统杀死。我们用堆快照找到了泄漏的缓存。' },
  { id: 'oom-tw', title: '記憶體不足的處理', body: '當伺服器的記憶體不足時，程式會被作業系統終止。請先檢查資料庫連線是否洩漏。' },
  { id: 'mem-hk', title: '內存管理入門', body: '本文介紹內存分配與回收，以及常見的內存洩漏。' },
  { id: 'node-leak', title: 'Node.js 内存泄漏', body: '闭包持有大对象会让 V8 的堆不断增长，最后 <script> 也跑不动了 & 页面卡死。' },
  { id: 'nanchang', title: '南昌的农村', body: '南昌郊外的农村在春天种满了油菜花。' },
  { id: 'netcat', title: 'nc 命令', body: 'nc 是 netcat 的缩写，可以读写 TCP 和 UDP 连接。' },
  { id: 'files', title: '文件系统', body: 'Linux 的文件系统把一切都当作文件，程序通过文件描述符读写。' },
];

type Index = Awaited<ReturnType<typeof openIndex>>;

async function buildIndex(t: TestContext, options: { pinyin?: boolean; traditional?: boolean }, extra: Doc[] = []): Promise<string> {
  const dir = tempDir(t, 'ruyi-snippets-');
  const index: Index = await openIndex(dir, { shards: SHARDS, threads: 1, ...options });
  await index.add([...DOCS, ...sampleDocs(), ...extra]);
  await index.flush();
  await index.close();
  return dir;
}

/** The read side of a closed index, as the query side will use it. */
function openReaders(t: TestContext, dir: string): ShardReader[] {
  const readers = Array.from({ length: SHARDS }, (_, s) => new ShardReader(openShardDbs(generationDir(dir), s)));
  t.after(async () => {
    for (const r of readers) await r.dbs.env.close();
  });
  return readers;
}

/** Documents matching every query slot (any alternative of a slot), by id. */
function lookup(readers: ShardReader[], terms: QueryTerm[]): Set<string> {
  const slots = new Map<number, string[]>();
  for (const t of terms) slots.set(t.position, [...(slots.get(t.position) ?? []), t.term]);
  let result = null as Set<string> | null;
  for (const alternatives of slots.values()) {
    const ids = new Set<string>();
    for (const reader of readers) {
      const view = reader.current();
      for (const term of alternatives) {
        const cols = new PostingColumns();
        reader.postings(view, term, new TextEncoder().encode(term), cols);
        for (let i = 0; i < cols.length; i++) ids.add((reader.hit(cols.docNums[i] as number) as HitRecord)[0]);
      }
    }
    result = result === null ? ids : new Set([...result].filter((id) => ids.has(id)));
  }
  return result ?? new Set();
}

function bodyOf(readers: ShardReader[], id: string): BodyChunkReader {
  const reader = readers[shardOf(id, SHARDS)] as ShardReader;
  const stored = reader.dbs.docs.get(id);
  assert.ok(stored, id);
  return bodyChunkReader(reader.dbs, stored.n);
}

/** Query → ids that must be found, ids that must not (data-driven, real Chinese text). */
const QUERIES: { q: string; has: string[]; not?: string[] }[] = [
  { q: '内存', has: ['oom-cn', 'oom-tw', 'mem-hk', 'node-leak'], not: ['files'] },
  { q: '記憶體', has: ['oom-cn', 'oom-tw', 'mem-hk', 'node-leak'] },
  { q: '內存', has: ['oom-cn', 'oom-tw', 'mem-hk', 'node-leak'] },
  { q: 'neicun', has: ['oom-cn', 'oom-tw', 'mem-hk', 'node-leak'], not: ['nanchang', 'files'] },
  { q: 'nc', has: ['oom-cn', 'oom-tw', 'mem-hk', 'node-leak', 'nanchang', 'netcat'], not: ['files'] },
  { q: 'neicun xielou', has: ['node-leak', 'mem-hk', 'oom-cn', 'oom-tw'], not: ['nanchang', 'netcat'] },
  { q: '服务器', has: ['oom-cn', 'oom-tw'] },
  { q: 'fuwuqi', has: ['oom-cn', 'oom-tw'] },
  { q: '数据库', has: ['oom-tw'] },
  // Simplified 文件 stays 文件: it is not Taiwan's 文件 (文档).
  { q: '文档', has: [], not: ['files'] },
  { q: '文件', has: ['files'] },
  { q: 'nongcun', has: ['nanchang'], not: ['oom-cn'] },
];

test('pinyin + traditional index: query → ids on real documents', async (t) => {
  const dir = await buildIndex(t, { pinyin: true, traditional: true });
  const meta = JSON.parse(readFileSync(join(generationDir(dir), 'ruyi.json'), 'utf8'));
  assert.deepEqual(meta.analysis, { pinyin: true, traditional: true, fingerprint: 'pinyin.1+traditional.1' });
  const readers = openReaders(t, dir);
  const analyzer = Analyzer.load({ pinyin: true, traditional: true });
  for (const { q, has, not = [] } of QUERIES) {
    const found = lookup(readers, analyzer.queryTerms(q));
    for (const id of has) assert.ok(found.has(id), `${q} should find ${id}; found ${[...found].slice(0, 10).join(', ')}`);
    for (const id of not) assert.ok(!found.has(id), `${q} should not find ${id}`);
  }
});

test('without the options the same queries find only literal words', async (t) => {
  const dir = await buildIndex(t, {});
  const readers = openReaders(t, dir);
  const analyzer = Analyzer.load();
  assert.deepEqual([...lookup(readers, analyzer.queryTerms('neicun', { pinyin: true }))], []);
  const mem = lookup(readers, analyzer.queryTerms('内存'));
  assert.ok(mem.has('oom-cn') && !mem.has('oom-tw'));
});

test('analysis options are fixed at creation and used on reopen', async (t) => {
  const dir = tempDir(t, 'ruyi-options-');
  const created = await openIndex(dir, { shards: 1, threads: 1, pinyin: true });
  await created.add(DOCS[0] as Doc);
  await created.close();
  // Reopened without options: the recorded ones apply (a later add gets pinyin terms too).
  const reopened = await openIndex(dir, { threads: 1 });
  assert.deepEqual(reopened.meta.analysis, { pinyin: true, traditional: false, fingerprint: 'pinyin.1' });
  await reopened.add({ id: 'later', title: '缓存', body: '缓存击穿与雪崩' });
  await reopened.close();
  await assert.rejects(
    openIndex(dir, { pinyin: false }),
    (e) => isEngineError(e, 'E_META_MISMATCH') && /fixed at creation/.test(e.message),
  );
  await assert.rejects(openIndex(dir, { traditional: true }), (e) => isEngineError(e, 'E_META_MISMATCH'));
  const dbs = openShardDbs(generationDir(dir), 0);
  const reader = new ShardReader(dbs);
  try {
    assert.deepEqual([...lookup([reader], Analyzer.load({ pinyin: true }).queryTerms('huancun'))].sort(), ['later', 'oom-cn']);
  } finally {
    await dbs.env.close();
  }
  // A ruyi.json from before the options (no "analysis") opens as both off.
  const old = JSON.parse(readFileSync(join(generationDir(dir), 'ruyi.json'), 'utf8'));
  delete old.analysis;
  writeFileSync(join(generationDir(dir), 'ruyi.json'), JSON.stringify(old));
  await assert.rejects(openIndex(dir, { pinyin: true }), (e) => isEngineError(e, 'E_META_MISMATCH'));
  const legacy = await openIndex(dir, { threads: 1 });
  assert.equal(legacy.meta.analysis, undefined);
  await legacy.close();
});

test('snippets on the index: highlights of words, variants and pinyin, escaped HTML', async (t) => {
  const dir = await buildIndex(t, { pinyin: true, traditional: true });
  const readers = openReaders(t, dir);
  const analyzer = Analyzer.load({ pinyin: true, traditional: true });
  const snippet = (id: string, q: string, options = {}) =>
    makeSnippet(
      bodyOf(readers, id),
      analyzer.queryTerms(q).map((x) => x.term),
      analyzer,
      options,
    );
  const marked = (s: { plain: string; highlights: [number, number][] }) => s.highlights.map(([a, b]) => s.plain.slice(a, b));

  assert.deepEqual(marked(snippet('oom-cn', '内存')), ['内存']);
  assert.deepEqual(marked(snippet('oom-cn', '内存溢出')), ['内存溢出']);
  assert.deepEqual(marked(snippet('oom-tw', '内存')), ['記憶體']);
  assert.deepEqual(marked(snippet('mem-hk', 'neicun')), ['內存', '內存']);
  assert.deepEqual(marked(snippet('oom-cn', 'fuwuqi')), ['服务器']);
  // 存溢 is not a word of the text: nothing highlighted.
  assert.deepEqual(marked(snippet('oom-cn', '存溢')), []);
  const leak = snippet('node-leak', 'v8 页面', { markers: ['[', ']'] });
  assert.equal(leak.text, '闭包持有大对象会让 [V8] 的堆不断增长，最后 &lt;script&gt; 也跑不动了 &amp; [页面]卡死。');
  assert.equal(leak.truncated, false);
  const raw = snippet('node-leak', '页面', { escapeHtml: false });
  assert.ok(raw.text.includes('<script>') && raw.text.includes('<mark>页面</mark>'));
  // A real man page from the sample.
  const ls = sampleDocs().find((d) => d.title?.startsWith('ls'));
  if (ls !== undefined) {
    const s = snippet(ls.id, '目录');
    assert.ok(s.highlights.length > 0 && marked(s).every((w) => w === '目录'), s.text);
  }
});

test('a long article: the snippet reads only the chunks it needs and cuts no surrogate pair', async (t) => {
  const filler = '这是一段用来填充长文章的普通句子，没有要找的词。'.repeat(1000); // ~72 KB
  const body = `开头提到了索引😀。${filler.repeat(40)}结尾才说到内存溢出。`; // ~2.9 MB: three chunks
  const dir = await buildIndex(t, { pinyin: true }, [{ id: 'long', title: '长文章', body }]);
  const readers = openReaders(t, dir);
  const analyzer = Analyzer.load({ pinyin: true });
  let reads = 0;
  const inner = bodyOf(readers, 'long');
  const counting: BodyChunkReader = (i) => {
    reads++;
    return inner(i);
  };
  const started = makeSnippet(
    counting,
    analyzer.queryTerms('索引').map((x) => x.term),
    analyzer,
    { fragmentChars: 10 },
  );
  assert.equal(reads, 1);
  assert.equal(started.truncated, true);
  assert.ok(started.text.includes('<mark>索引</mark>'));
  // Cuts at 10 characters fall inside 😀 for some starts: never half of it.
  for (let size = 20; size < 30; size++) {
    const s = makeSnippet(inner, ['开头', '索引'], analyzer, { fragmentChars: size });
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s.plain), s.plain);
  }
  // The end of the article is past maxScanChars: not searched, and the snippet says so.
  reads = 0;
  const end = makeSnippet(counting, ['溢出'], analyzer);
  assert.ok(reads <= 1);
  assert.deepEqual(end.highlights, []);
  assert.equal(end.truncated, true);
  // A larger scan bound reads on and finds it.
  reads = 0;
  const far = makeSnippet(counting, ['溢出'], analyzer, { maxScanChars: 2_000_000 });
  assert.ok(reads >= 3, `${reads} reads`);
  assert.ok(far.text.includes('<mark>溢出</mark>'), far.text);
});
