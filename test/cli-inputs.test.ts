import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openIndex } from '../src/index.js';
import { tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const INPUTS = fileURLToPath(new URL('./fixtures/inputs/', import.meta.url));

function ruyi(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('ruyi index: a MySQL export as CSV with its own column names and HTML bodies', async (t) => {
  const db = join(tempDir(t), 'db');
  const r = ruyi(
    'index',
    join(INPUTS, 'mysql-article.csv'),
    '--db',
    db,
    '--id-field',
    'article_id',
    '--title-field',
    'subject',
    '--body-field',
    'content',
    '--date-field',
    'created_at',
    '--tags-field',
    'tag_list',
    '--html',
    '--json',
  );
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.ok(report.docs >= 3, r.stdout);
  const index = await openIndex(db, { create: false });
  t.after(() => index.close());
  const lake = index.get('1001');
  assert.equal(lake?.title, '西湖游记');
  assert.ok(lake?.body.includes('清晨的西湖笼罩在薄雾里') && !lake.body.includes('<b>'), lake?.body);
  assert.deepEqual(lake?.tags, ['旅行', '杭州']);
  assert.equal(index.search('备份 数据库').hits[0]?.id, '1002');
  assert.equal(index.search('tag:杭州').hits[0]?.id, '1001');
});

test('ruyi index: a tree of Markdown, HTML and text files (front matter, no code run)', async (t) => {
  const db = join(tempDir(t), 'db');
  const r = ruyi('index', join(INPUTS, 'site'), '--db', db, '--json');
  const report = JSON.parse(r.stdout);
  assert.ok(report.docs >= 4, r.stdout);
  // The `---js` front matter is refused, never run, and named by its file.
  assert.ok(
    report.errors.some((e: { file: string; reason: string }) => e.file.endsWith('evil.md')),
    r.stdout,
  );
  const index = await openIndex(db, { create: false });
  t.after(() => index.close());
  const ids = index.search('搜索引擎', { limit: 20 }).hits.map((h) => h.id);
  assert.ok(
    ids.some((id) => id.includes('search-engine')),
    `${ids}`,
  );
});
