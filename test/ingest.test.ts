import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isEngineError } from '../src/errors.js';
import { type IngestItem, type InputOptions, inputSize, readInputs } from '../src/ingest/index.js';
import { markdownToText } from '../src/ingest/markdown.js';
import type { DocInput } from '../src/types.js';
import { SAMPLE_FILE, sampleDocs, tempDir } from './helpers.js';

const INPUTS = new URL('./fixtures/inputs/', import.meta.url).pathname;
const SITE = join(INPUTS, 'site');

type Accepted = Extract<IngestItem, { doc: DocInput }>;

async function collect(inputs: string[], options?: InputOptions): Promise<{ docs: Accepted[]; rejected: IngestItem[]; bytes: number }> {
  const docs: Accepted[] = [];
  const rejected: IngestItem[] = [];
  let bytes = 0;
  for await (const item of readInputs(inputs, options)) {
    bytes += item.bytes;
    if ('rejected' in item) rejected.push(item);
    else docs.push(item);
  }
  return { docs, rejected, bytes };
}

/** What the sample's documents become after reading: strings, tags as arrays, date or null. */
function expectedSample(): { id: string; title: string; body: string; tags: string[]; date: string | null }[] {
  return sampleDocs().map((d) => ({
    id: d.id,
    title: d.title ?? '',
    body: d.body as string,
    tags: d.tags ?? [],
    date: (d.date as string | undefined) ?? null,
  }));
}

const view = (d: DocInput) => ({ id: d.id, title: d.title, body: d.body, tags: d.tags, date: d.date });

/** A CSV cell: quoted when it holds a separator, a quote or a line break. */
const cell = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

function sampleAsCsv(): string {
  const rows = sampleDocs().map((d) =>
    [d.id, d.title ?? '', d.body as string, (d.tags ?? []).join('|'), (d.date as string) ?? ''].map(cell).join(','),
  );
  return `article_id,subject,content,tag_list,created_at\n${rows.join('\n')}\n`;
}

test('NDJSON: the sample reads as its 350 documents, bytes add up to inputSize', async () => {
  const { docs, rejected, bytes } = await collect([SAMPLE_FILE]);
  assert.equal(rejected.length, 0);
  assert.deepEqual(
    docs.map((d) => view(d.doc)),
    expectedSample(),
  );
  assert.deepEqual(
    docs.slice(0, 3).map((d) => d.line),
    [1, 2, 3],
  );
  assert.equal(docs[0]?.file, SAMPLE_FILE);
  assert.equal(bytes, await inputSize([SAMPLE_FILE]));
  assert.equal(bytes, statSync(SAMPLE_FILE).size);
});

test('JSON array, pretty-printed: same documents, each at the line where its element starts', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'articles.json');
  const text = JSON.stringify(sampleDocs(), null, 2);
  writeFileSync(file, text);
  const starts: number[] = [];
  text.split('\n').forEach((l, i) => {
    if (l === '  {') starts.push(i + 1);
  });
  const { docs, rejected, bytes } = await collect([file]);
  assert.equal(rejected.length, 0);
  assert.deepEqual(
    docs.map((d) => view(d.doc)),
    expectedSample(),
  );
  assert.deepEqual(
    docs.map((d) => d.line),
    starts,
  );
  assert.ok(bytes <= statSync(file).size && bytes > 0.95 * statSync(file).size);
});

test('CSV with mapped column names: same documents, multi-line cells, tags split on |', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'article.csv');
  writeFileSync(file, sampleAsCsv());
  const fields = { id: 'article_id', title: 'subject', body: 'content', tags: 'tag_list', date: 'created_at' };
  const { docs, rejected } = await collect([file], { fields });
  assert.equal(rejected.length, 0);
  // A CSV cell is never absent: a missing date is an empty string.
  assert.deepEqual(
    docs.map((d) => view(d.doc)),
    expectedSample().map((d) => ({ ...d, date: d.date ?? '' })),
  );
  const second = docs[1] as Accepted;
  const lineOfSecond =
    sampleAsCsv()
      .split('\n')
      .indexOf(
        sampleAsCsv()
          .split('\n')
          .find((l) => l.startsWith(`${cell(second.doc.id)},`)) as string,
      ) + 1;
  assert.equal(second.line, lineOfSecond);
  await assert.rejects(collect([file]), (err) => isEngineError(err, 'E_INPUT') && /no "id" column.*--id-field/.test(err.message));
  // Invalid bytes are refused by record, a real U+FFFD in the text is not (csv-parse decodes both to U+FFFD).
  const mixed = join(dir, 'mixed.csv');
  const valid = (text: string): Buffer => Buffer.from(text);
  writeFileSync(
    mixed,
    Buffer.concat([valid('id,body\nr1,替换字符\uFFFD是合法的\nr2,坏'), Buffer.from([0xe4, 0xb8]), valid('字节\nr3,好\n')]),
  );
  const got = await collect([mixed]);
  assert.deepEqual(
    got.docs.map((d) => d.doc.id),
    ['r1', 'r3'],
  );
  assert.deepEqual(
    got.rejected.map((r) => 'rejected' in r && `${r.rejected.line}:${r.rejected.id}:${r.rejected.reason}`),
    ['3:r2:invalid UTF-8'],
  );
});

test('gzip variants read the same documents; bytes count the compressed file', async (t) => {
  const dir = tempDir(t);
  const plain = [
    ['a.ndjson.gz', (d: string) => d],
    ['b.json.gz', () => JSON.stringify(sampleDocs())],
  ] as const;
  const ndjson = (await import('node:fs')).readFileSync(SAMPLE_FILE, 'utf8');
  for (const [name, make] of plain) {
    const file = join(dir, name);
    writeFileSync(file, gzipSync(make(ndjson)));
    const { docs, rejected, bytes } = await collect([file]);
    assert.equal(rejected.length, 0, name);
    assert.deepEqual(
      docs.map((d) => view(d.doc)),
      expectedSample(),
    );
    assert.equal(bytes, statSync(file).size, name);
    assert.equal(await inputSize([file]), statSync(file).size);
  }
  const csv = join(dir, 'c.csv.gz');
  writeFileSync(csv, gzipSync(sampleAsCsv()));
  const fields = { id: 'article_id', title: 'subject', body: 'content', tags: 'tag_list', date: 'created_at' };
  assert.equal((await collect([csv], { fields })).docs.length, 350);
  // Gzip is recognized by its magic bytes, whatever the name.
  const renamed = join(dir, 'dump.ndjson');
  writeFileSync(renamed, gzipSync(ndjson));
  assert.equal((await collect([renamed])).docs.length, 350);
});

test('a MySQL article export: --id-field etc. map the columns, --html strips the markup', async () => {
  const file = join(INPUTS, 'mysql-article.csv');
  const fields = { id: 'article_id', title: 'subject', body: 'content', tags: 'tag_list', date: 'created_at' };
  const { docs, rejected } = await collect([file], { fields, html: true });
  assert.equal(rejected.length, 0);
  assert.deepEqual(
    docs.map((d) => [d.doc.id, d.doc.title, d.doc.tags, d.doc.date, d.line]),
    [
      ['1001', '西湖游记', ['旅行', '杭州'], '2024-03-16 08:30:00', 2],
      ['1002', '如何备份数据库', ['数据库', '运维'], '2024-04-02 21:15:00', 3],
      ['1003', '家常红烧肉', ['美食'], '2024-05-10 18:00:00', 5],
      ['1004', '读书笔记：人间词话', ['读书', '诗词'], '2024-06-21 22:45:00', 6],
    ],
  );
  const backup = docs[1]?.doc.body as string;
  assert.doesNotMatch(backup, /<|>|https?:/);
  assert.match(backup, /定期备份是最便宜的保险/);
  assert.match(backup, /mysqldump/);
  const raw = await collect([file], { fields });
  assert.match(raw.docs[0]?.doc.body as string, /<p>清晨的<b>西湖<\/b>/);
});

test('JSON: numeric ids become decimal strings, a tags string is split, a numeric date is kept', async () => {
  const { docs, rejected } = await collect([join(INPUTS, 'articles.json')]);
  assert.equal(rejected.length, 0);
  assert.deepEqual(
    docs.map((d) => [d.doc.id, d.doc.tags, d.doc.date, d.line]),
    [
      ['1', ['搜索', '入门'], '2024-01-15', 2],
      ['2', ['分词', '中文'], null, 9],
      ['post-3', [], 1717171717000, 10],
    ],
  );
  const strict = await collect([join(INPUTS, 'articles.json')], { numericIds: false });
  assert.equal(strict.docs.length, 1);
  assert.match((strict.rejected[0] as { rejected: { reason: string } }).rejected.reason, /id must be a string/);
});

test('a tree of Markdown, HTML and text: sorted walk, ids from paths, front matter, nothing evaluated', async () => {
  const { docs, rejected, bytes } = await collect([SITE]);
  assert.deepEqual(
    docs.map((d) => d.doc.id),
    ['notes/old', 'notes/todo', 'pages/about', 'pages/faq', 'hugo-blog', 'build-a-search-engine', 'posts/2024/spring'],
  );
  assert.ok(docs.every((d) => d.line === 0 && d.file.startsWith(SITE)));
  const byId = new Map(docs.map((d) => [d.doc.id, d.doc]));
  const spring = byId.get('posts/2024/spring') as DocInput;
  assert.equal(spring.title, '春日随笔');
  assert.deepEqual(spring.tags, ['随笔', '春天']);
  assert.equal(spring.date, '2024-03-20T00:00:00.000Z');
  assert.match(spring.body, /窗外的玉兰花开了/);
  assert.match(spring.body, /春眠不觉晓/);
  assert.match(spring.body, /下午去了植物园/);
  assert.match(spring.body, /print\("春天来了"\)/); // words of code blocks stay
  assert.doesNotMatch(spring.body, /\*\*|https?:|```|^#|^>|^- /m);
  const engine = byId.get('build-a-search-engine') as DocInput;
  assert.deepEqual(engine.tags, ['搜索', '倒排索引', '分词']);
  assert.equal(engine.date, '2024-07-01T01:30:00.000Z');
  assert.match(engine.body, /搜索引擎的核心是倒排索引/);
  assert.match(engine.body, /架构图/);
  assert.doesNotMatch(engine.body, /arch\.png|\|/);
  const hugo = byId.get('hugo-blog') as DocInput;
  assert.deepEqual([hugo.title, hugo.tags, hugo.date], ['用 Hugo 搭建博客', ['博客', 'Hugo'], '2023-11-11']);
  const about = byId.get('pages/about') as DocInput;
  assert.equal(about.title, '关于我们 & 联系方式');
  assert.match(about.body, /我们是一个做中文搜索的小团队/);
  assert.doesNotMatch(about.body, /不应该被索引|color|mailto|</);
  assert.equal(byId.get('pages/faq')?.title, '常见问题');
  assert.equal(byId.get('notes/todo')?.title, '待办事项');
  assert.match(byId.get('notes/old')?.body as string, /压缩过的文本文件/);
  // The ---js front matter is refused, not run.
  assert.equal((globalThis as { RUYI_FRONT_MATTER_EVALUATED?: boolean }).RUYI_FRONT_MATTER_EVALUATED, undefined);
  assert.equal(rejected.length, 1);
  const evil = (rejected[0] as { rejected: { file: string; line: number; reason: string } }).rejected;
  assert.equal(evil.file, join(SITE, 'posts/evil.md'));
  assert.equal(evil.line, 0);
  assert.match(evil.reason, /front matter.*not evaluated/);
  assert.equal(bytes, await inputSize([SITE]));
  // --format narrows a tree to one kind of file.
  assert.deepEqual(
    (await collect([SITE], { format: 'html' })).docs.map((d) => d.doc.id),
    ['pages/about', 'pages/faq'],
  );
});

test('a tree never follows symlinks out of itself; big files are refused unread', async (t) => {
  const dir = tempDir(t);
  const root = join(dir, 'site');
  cpSync(SITE, root, { recursive: true });
  const outside = join(dir, 'secret.txt');
  writeFileSync(outside, '外面的秘密文件\n');
  symlinkSync(outside, join(root, 'notes', 'leak.txt'));
  symlinkSync(join(root, 'notes', 'todo.txt'), join(root, 'notes', 'alias.txt'));
  symlinkSync(dir, join(root, 'loop')); // a directory link: not followed
  mkdirSync(join(root, 'node_modules', 'pkg'), { recursive: true }); // not committed: git ignores node_modules/
  writeFileSync(join(root, 'node_modules', 'pkg', 'readme.md'), '依赖包的说明文件，不应该被读取。\n');
  mkdirSync(join(root, 'big'));
  writeFileSync(join(root, 'big', 'large.txt'), '大'.repeat(400_000));
  const { docs, rejected } = await collect([root], { maxDocBytes: 1024 * 1024 });
  const ids = docs.map((d) => d.doc.id);
  assert.ok(ids.includes('notes/alias'));
  assert.ok(!ids.some((id) => id.startsWith('loop')));
  assert.ok(!ids.some((id) => id.startsWith('node_modules') || id.startsWith('.drafts')));
  assert.ok(!docs.some((d) => /外面的秘密/.test(d.doc.body)));
  const reasons = rejected.map((r) => ('rejected' in r ? `${r.rejected.file}: ${r.rejected.reason}` : ''));
  assert.ok(reasons.some((r) => r.endsWith('leak.txt: a symlink that leads out of the tree; not followed')));
  assert.ok(reasons.some((r) => /large\.txt: file of 1\.1 MiB is over maxDocBytes/.test(r)));
  // A big .txt under the limit becomes UTF-8 bytes, not a string.
  const big = await collect([join(root, 'big', 'large.txt')]);
  assert.equal(big.docs[0]?.doc.id, 'large');
  assert.equal(big.docs[0]?.bodyUtf8?.byteLength, 1_200_000);
});

test('formats: explicit --format wins, the first byte decides an unknown name, junk is an E_INPUT', async (t) => {
  const dir = tempDir(t);
  const doc = { id: '甲', title: '标题', body: '正文内容' };
  writeFileSync(join(dir, 'dump.txt'), `${JSON.stringify(doc)}\n`);
  assert.deepEqual((await collect([join(dir, 'dump.txt')], { format: 'ndjson' })).docs[0]?.doc.id, '甲');
  assert.equal((await collect([join(dir, 'dump.txt')])).docs[0]?.doc.body, `${JSON.stringify(doc)}\n`); // a text file
  writeFileSync(join(dir, 'export.dat'), JSON.stringify([doc, { ...doc, id: '乙' }], null, 1));
  assert.deepEqual(
    (await collect([join(dir, 'export.dat')])).docs.map((d) => d.doc.id),
    ['甲', '乙'],
  );
  writeFileSync(join(dir, 'export.log'), 'id,body\n1,正文\n');
  await assert.rejects(
    collect([join(dir, 'export.log')]),
    (err) => isEngineError(err, 'E_INPUT') && /export\.log.*--format/.test(err.message),
  );
  assert.equal((await collect([join(dir, 'export.log')], { format: 'csv' })).docs[0]?.doc.id, '1');
  await assert.rejects(collect([join(dir, 'nope.ndjson')]), (err) => isEngineError(err, 'E_INPUT') && /nope\.ndjson/.test(err.message));
  await assert.rejects(collect([dir], { format: 'yaml' as never }), (err) => isEngineError(err, 'E_CONFIG'));
  // Several inputs are read in order, as one stream.
  const both = await collect([join(INPUTS, 'articles.json'), join(dir, 'export.dat')]);
  assert.deepEqual(
    both.docs.map((d) => d.doc.id),
    ['1', '2', 'post-3', '甲', '乙'],
  );
});

test('stdin (-): NDJSON, gzip or a JSON array, sniffed from the stream', () => {
  const script = `
    import { readInputs, inputSize } from ${JSON.stringify(new URL('../src/ingest/index.ts', import.meta.url).href)};
    const ids = [];
    for await (const item of readInputs(['-'])) ids.push('rejected' in item ? 'x' : item.file + ':' + item.line + ':' + item.doc.id);
    console.log(JSON.stringify({ ids, size: await inputSize(['-']) }));`;
  const run = (input: Buffer | string) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { input, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { ids: string[]; size: number | null };
  };
  const lines = '{"id":"一","body":"第一"}\n{"id":2,"body":"第二"}\n';
  assert.deepEqual(run(lines), { ids: ['<stdin>:1:一', '<stdin>:2:2'], size: null });
  assert.deepEqual(run(gzipSync(lines)).ids, ['<stdin>:1:一', '<stdin>:2:2']);
  assert.deepEqual(run('[\n{"id":"一","body":"第一"},\n{"id":"二","body":"第二"}]').ids, ['<stdin>:2:一', '<stdin>:3:二']);
});

test('a consumer that stops early, or an abort, closes the files', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'big.ndjson');
  const line = `${JSON.stringify({ id: 'x', body: '内存有上限。'.repeat(100) })}\n`;
  writeFileSync(file, line.repeat(5000));
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  // fs closes descriptors asynchronously: wait (boundedly) for the count to come back.
  const settled = async (target: number): Promise<number> => {
    for (let i = 0; i < 100 && openFds() > target; i++) await new Promise((r) => setTimeout(r, 20));
    return openFds();
  };
  const before = openFds();
  for await (const item of readInputs([file])) {
    assert.ok('doc' in item);
    break;
  }
  assert.ok((await settled(before)) <= before);
  const controller = new AbortController();
  let seen = 0;
  await assert.rejects(
    (async () => {
      for await (const _ of readInputs([file, file], { signal: controller.signal })) {
        if (++seen === 10) controller.abort();
      }
    })(),
    (err: Error) => err.name === 'AbortError',
  );
  assert.equal(seen, 10);
  assert.ok((await settled(before)) <= before);
});

test('a JSON element with a 50 MB body arrives as UTF-8 bytes; records over maxRecordBytes are skipped unread', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'big.json');
  const body = '长文'.repeat((25 * 1024 * 1024) / 3);
  writeFileSync(file, `[{"id":"small","body":"短"},\n{"id": "big", "title": "很长", "body": "${body}"},\n{"id":"after","body":"后"}]`);
  const { docs } = await collect([file]);
  assert.deepEqual(
    docs.map((d) => [d.doc.id, d.line]),
    [
      ['small', 1],
      ['big', 2],
      ['after', 3],
    ],
  );
  const big = docs[1] as Accepted;
  assert.equal(big.doc.title, '很长');
  assert.equal(big.bodyUtf8?.byteLength, Buffer.byteLength(body));
  const limited = await collect([file], { maxRecordBytes: 1024 * 1024 });
  assert.deepEqual(
    limited.docs.map((d) => d.doc.id),
    ['small', 'after'],
  );
  const skipped = (limited.rejected[0] as { rejected: { line: number; reason: string } }).rejected;
  assert.equal(skipped.line, 2);
  assert.match(skipped.reason, /record of 50\.0 MiB is over the 1\.0 MiB record limit/);
});

test('Markdown to text keeps the words and drops the syntax', () => {
  const md = [
    '## 二级标题 ##',
    '1. 第一步：安装 `npm i ruyi`',
    '- [x] 已完成的任务',
    '> 引用的**重点**文字',
    '[链接文字](https://example.com/path_name) 和 ![图片说明](a.png "标题")',
    '[引用链接][ref]',
    '[ref]: https://example.com',
    '***',
    'snake_case_name 和 _强调_ 以及 ~~删除~~',
    '<div class="x">内嵌 HTML</div>',
  ].join('\n');
  const text = markdownToText(md);
  for (const word of [
    '二级标题',
    '第一步：安装',
    'npm i ruyi',
    '已完成的任务',
    '引用的重点文字',
    '链接文字',
    '图片说明',
    '引用链接',
    'snake_case_name',
    '强调',
    '删除',
    '内嵌 HTML',
  ]) {
    assert.ok(text.includes(word), `${word} in ${JSON.stringify(text)}`);
  }
  for (const syntax of ['##', '](', 'https://', '**', '~~', '<div', '[x]', '***'])
    assert.ok(!text.includes(syntax), `${syntax} in ${JSON.stringify(text)}`);
});
