import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Doc, openIndex } from '../src/index.js';
import { sampleDocs, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

const DOCS: Doc[] = [
  { id: 'oom-cn', title: '一次内存溢出的排查', body: '服务器在凌晨发生了内存溢出，进程被系统杀死。我们用堆快照找到了泄漏的缓存。' },
  { id: 'oom-tw', title: '記憶體不足的處理', body: '當伺服器的記憶體不足時，程式會被作業系統終止。請先檢查資料庫連線是否洩漏。' },
  { id: 'nanchang', title: '南昌的农村', body: '南昌郊外的农村在春天种满了油菜花。' },
  { id: 'netcat', title: 'nc 命令', body: 'nc 是 netcat 的缩写，可以读写 TCP 和 UDP 连接。' },
  { id: 'xss', title: '前端安全', body: '不要把 <script> 直接拼进页面 & 记得转义，内存 也要注意。' },
];

test('index.search with pinyin and traditional: the query language finds them, word matches rank above pinyin ones', async (t) => {
  const db = join(tempDir(t), 'db');
  const index = await openIndex(db, { threads: 1, pinyin: true, traditional: true });
  t.after(() => index.close());
  await index.add([...DOCS, ...sampleDocs().slice(0, 100)]);
  await index.flush();
  const ids = (q: string) => index.search(q, { limit: 5 }).hits.map((h) => h.id);
  const neicun = index.search('neicun', { limit: 50 }).hits.map((h) => h.id);
  for (const id of ['oom-cn', 'oom-tw', 'xss']) assert.ok(neicun.includes(id), `${id} in ${neicun}`);
  assert.ok(ids('nc').includes('oom-cn'));
  // The English word nc itself outranks every document that only has the initials.
  assert.equal(ids('nc')[0], 'netcat');
  assert.deepEqual(ids('nongcun'), ['nanchang']);
  assert.equal(ids('記憶體 溢出')[0], 'oom-cn');
  const without = index.search('neicun -溢出', { limit: 50 }).hits.map((h) => h.id);
  assert.ok(without.includes('oom-tw') && without.includes('xss') && !without.includes('oom-cn'), `${without}`);
  const fuwuqi = index.search('fuwuqi', { limit: 100 }).hits.map((h) => h.id);
  assert.ok(fuwuqi.includes('oom-cn') && fuwuqi.includes('oom-tw'), `${fuwuqi}`);
});

test('snippets: each hit gets its best fragment, matched words marked, the rest escaped; CLI --snippets', async (t) => {
  const db = join(tempDir(t), 'db');
  const index = await openIndex(db, { threads: 1 });
  await index.add([...DOCS, ...sampleDocs()]);
  await index.flush();
  const result = index.search('内存', { snippets: true });
  const xss = result.hits.find((h) => h.id === 'xss');
  assert.ok(xss?.snippet?.includes('&lt;script&gt;'), xss?.snippet);
  assert.ok(xss?.snippet?.includes('<mark>内存</mark>'), xss?.snippet);
  for (const hit of result.hits) assert.match(hit.snippet ?? '', /<mark>内存/);
  const custom = index.search('列出目录内容', { snippets: { markers: ['[', ']'], fragments: 1, fragmentChars: 40 }, limit: 1 });
  assert.match(custom.hits[0]?.snippet ?? '', /\[列出\]|\[目录\]|\[内容\]/);
  assert.equal(index.search('内存').hits[0]?.snippet, undefined);
  await index.close();
  const cli = spawnSync(process.execPath, [BIN, 'search', '溢出', '--db', db, '--snippets', '--json'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(JSON.parse(cli.stdout).hits[0].snippet, /<mark>(内存)?溢出<\/mark>/);
});
