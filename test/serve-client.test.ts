import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Meilisearch, MeilisearchApiError } from 'meilisearch';
import { type Article, articles, MASTER_KEY, type ServerProcess, startBin } from './serve-helpers.js';

// One server for the file, driven only through the official Meilisearch JS client.
const docs = articles();
const WAIT = { timeout: 60_000, interval: 20 };
let server: ServerProcess;
let client: Meilisearch;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ruyi-serve-client-'));
  const db = join(dir, 'db');
  server = await startBin(db, ['--master-key', MASTER_KEY]);
  client = new Meilisearch({ host: server.url, apiKey: MASTER_KEY });
  const task = await client.index('articles').addDocuments(docs).waitTask(WAIT);
  assert.equal(task.status, 'succeeded', JSON.stringify(task.error));
  const settings = await client
    .index('articles')
    .updateSettings({ filterableAttributes: ['tags', 'source', 'n', 'date'], sortableAttributes: ['n', 'date'] })
    .waitTask(WAIT);
  assert.equal(settings.status, 'succeeded', JSON.stringify(settings.error));
});

after(async () => {
  assert.equal(await server.stop(), 0, server.stderr());
  rmSync(dir, { recursive: true, force: true });
});

async function apiError(p: Promise<unknown>): Promise<MeilisearchApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MeilisearchApiError) return err;
    throw err;
  }
  assert.fail('expected an API error');
}

test('health, version, stats, index stats and the primary key inferred', async () => {
  assert.deepEqual(await client.health(), { status: 'available' });
  assert.equal(typeof (await client.getVersion()).pkgVersion, 'string');
  const stats = await client.index('articles').getStats();
  assert.equal(stats.numberOfDocuments, docs.length);
  assert.equal(stats.isIndexing, false);
  assert.equal(stats.fieldDistribution.id, docs.length);
  assert.equal(stats.fieldDistribution.date, docs.filter((d) => d.date !== undefined).length);
  const all = await client.getStats();
  assert.equal(all.indexes.articles?.numberOfDocuments, docs.length);
  const index = await client.index('articles').getRawInfo();
  assert.equal(index.primaryKey, 'id');
});

test('documents come back exactly as sent; listing pages through them', async () => {
  const d = docs[123] as Article;
  assert.deepEqual(await client.index('articles').getDocument(d.id), d);
  assert.deepEqual(await client.index('articles').getDocument(d.id, { fields: ['title', 'n'] }), { title: d.title, n: d.n });
  const page = await client.index('articles').getDocuments({ offset: 10, limit: 5 });
  assert.equal(page.total, docs.length);
  assert.equal(page.results.length, 5);
  const filtered = await client.index('articles').getDocuments({ filter: 'source = fortunes-zh', limit: 1000 });
  assert.equal(filtered.total, docs.filter((x) => x.source === 'fortunes-zh').length);
});

test('a known-item search finds the man page first, highlighted and cropped', async () => {
  const r = await client.index('articles').search('列出目录内容', {
    attributesToHighlight: ['title'],
    attributesToCrop: ['body'],
    cropLength: 12,
    showMatchesPosition: true,
  });
  const first = r.hits[0] as Article & { _formatted: Record<string, string>; _matchesPosition: Record<string, unknown[]> };
  assert.equal(first.title, 'ls - 列出目录内容');
  assert.match(first._formatted.title as string, /<em>列出目录内容<\/em>|<em>列出<\/em>/);
  assert.ok((first._formatted.body as string).length < first.body.length, 'body cropped');
  assert.ok((first._formatted.body as string).includes('…'));
  assert.ok(first._matchesPosition.title !== undefined);
  assert.equal(r.query, '列出目录内容');
  assert.equal(r.offset, 0);
  assert.equal(r.limit, 20);
  assert.ok((r.estimatedTotalHits ?? 0) >= 1);
  assert.equal(typeof r.processingTimeMs, 'number');
  const tags = await client.index('articles').search('目录', { attributesToHighlight: ['*'], highlightPreTag: '[', highlightPostTag: ']' });
  assert.ok(tags.hits.some((h) => String((h._formatted as Record<string, unknown>).title).includes('[目录]')));
});

test('filters: string and array forms, =, !=, IN, TO, EXISTS, NOT, AND/OR', async () => {
  const index = client.index('articles');
  const count = async (filter: string | (string | string[])[], q = '') => (await index.search(q, { filter, limit: 1000 })).hits.length;
  const local = (pred: (d: Article) => boolean) => docs.filter(pred).length;
  assert.equal(
    await count('tags = man1'),
    local((d) => d.tags.includes('man1')),
  );
  assert.equal(
    await count('source != fortunes-zh'),
    local((d) => d.source !== 'fortunes-zh'),
  );
  assert.equal(
    await count('tags IN [tang, songci]'),
    local((d) => d.tags.includes('tang') || d.tags.includes('songci')),
  );
  assert.equal(await count('n 10 TO 19'), 10);
  assert.equal(await count('n >= 340'), 10);
  assert.equal(
    await count('date EXISTS'),
    local((d) => d.date !== undefined),
  );
  assert.equal(
    await count('NOT date EXISTS AND source = "manpages-zh"'),
    local((d) => d.date === undefined && d.source === 'manpages-zh'),
  );
  assert.equal(
    await count([['tags = tang', 'tags = songci'], 'n < 300']),
    local((d) => (d.tags.includes('tang') || d.tags.includes('songci')) && d.n < 300),
  );
  assert.equal(
    await count('(tags = man1 OR tags = man8) AND NOT n > 100'),
    local((d) => (d.tags.includes('man1') || d.tags.includes('man8')) && d.n <= 100),
  );
  // With a query: the filter narrows the matches.
  const q = await index.search('文件', { filter: 'tags = man1', limit: 1000 });
  assert.ok(q.hits.length > 0);
  for (const h of q.hits) assert.ok((h.tags as string[]).includes('man1'));
  const all = await index.search('文件', { limit: 1000 });
  assert.ok(q.hits.length < all.hits.length);
  const bad = await apiError(index.search('', { filter: 'title = x' }));
  assert.equal(bad.cause?.code, 'invalid_search_filter');
  assert.equal(bad.response.status, 400);
  const syntax = await apiError(index.search('', { filter: 'tags = (' }));
  assert.equal(syntax.cause?.code, 'invalid_search_filter');
});

test('facets count every match per value; sort orders by attributes', async () => {
  const index = client.index('articles');
  const r = await index.search('', { facets: ['tags', 'source'], limit: 0 });
  const tagCounts: Record<string, number> = {};
  for (const d of docs) for (const t of d.tags) tagCounts[t] = (tagCounts[t] ?? 0) + 1;
  assert.deepEqual(
    r.facetDistribution?.tags,
    Object.fromEntries(
      Object.keys(tagCounts)
        .sort()
        .map((k) => [k, tagCounts[k]]),
    ),
  );
  assert.equal(r.estimatedTotalHits, docs.length);
  const withQuery = await index.search('月', { facets: ['source'], filter: 'source != manpages-zh', limit: 1000 });
  const bySource: Record<string, number> = {};
  for (const h of withQuery.hits) bySource[h.source as string] = (bySource[h.source as string] ?? 0) + 1;
  assert.deepEqual(withQuery.facetDistribution?.source, bySource);
  const facetN = await index.search('', { facets: ['n'], limit: 0 });
  assert.deepEqual(facetN.facetStats?.n, { min: 0, max: docs.length - 1 });

  const sorted = await index.search('', { sort: ['n:desc'], limit: 5 });
  assert.deepEqual(
    sorted.hits.map((h) => h.n),
    [349, 348, 347, 346, 345],
  );
  const byDate = await index.search('', { sort: ['date:asc'], filter: 'date EXISTS', limit: 1000 });
  const dates = byDate.hits.map((h) => h.date as string);
  assert.deepEqual(dates, [...dates].sort());
  const bad = await apiError(index.search('', { sort: ['title:asc'] }));
  assert.equal(bad.cause?.code, 'invalid_search_sort');
});

test('page/hitsPerPage and offset/limit answer in their own shapes; GET search works', async () => {
  const index = client.index('articles');
  const paged = await index.search('', { page: 2, hitsPerPage: 7 });
  assert.equal(paged.page, 2);
  assert.equal(paged.hitsPerPage, 7);
  assert.equal(paged.totalHits, docs.length);
  assert.equal(paged.totalPages, Math.ceil(docs.length / 7));
  assert.equal(paged.hits.length, 7);
  assert.equal('estimatedTotalHits' in paged, false);
  const offset = await index.search('', { offset: 7, limit: 7 });
  assert.deepEqual(
    offset.hits.map((h) => h.id),
    paged.hits.map((h) => h.id),
  );
  const viaGet = await index.searchGet('列出目录内容', { limit: 3, attributesToRetrieve: ['id', 'title'] });
  assert.equal(viaGet.hits[0]?.title, 'ls - 列出目录内容');
  assert.deepEqual(Object.keys(viaGet.hits[0] ?? {}).sort(), ['id', 'title']);
});

test('multi-search answers each query with its index uid', async () => {
  const r = await client.multiSearch({
    queries: [
      { indexUid: 'articles', q: '列出目录内容', limit: 1 },
      { indexUid: 'articles', q: '', filter: 'tags = tang', limit: 2, facets: ['tags'] },
    ],
  });
  assert.equal(r.results.length, 2);
  assert.equal(r.results[0]?.indexUid, 'articles');
  assert.equal(r.results[0]?.hits[0]?.title, 'ls - 列出目录内容');
  assert.equal(r.results[1]?.facetDistribution?.tags?.tang, docs.filter((d) => d.tags.includes('tang')).length);
  const missing = await apiError(client.multiSearch({ queries: [{ indexUid: 'nope', q: 'x' }] }));
  assert.equal(missing.cause?.code, 'index_not_found');
});

test('updateDocuments merges, deletes remove, a document without its primary key fails its task', async () => {
  const index = client.index('books');
  const add = await index
    .addDocuments([
      { book_id: 1, title: '红楼梦', body: '满纸荒唐言，一把辛酸泪', tags: ['小说'] },
      { book_id: 2, title: '西游记', body: '花果山福地，水帘洞洞天', tags: ['小说'] },
      { book_id: 3, title: '诗经', body: '关关雎鸠，在河之洲', tags: ['诗'] },
      { book_id: 4, title: '楚辞', body: '路漫漫其修远兮', tags: ['诗'] },
    ])
    .waitTask(WAIT);
  assert.equal(add.status, 'succeeded');
  assert.equal((await index.getRawInfo()).primaryKey, 'book_id');
  const upd = await index.updateDocuments([{ book_id: 1, author: '曹雪芹' }]).waitTask(WAIT);
  assert.equal(upd.status, 'succeeded');
  assert.deepEqual(await index.getDocument(1), {
    book_id: 1,
    title: '红楼梦',
    body: '满纸荒唐言，一把辛酸泪',
    tags: ['小说'],
    author: '曹雪芹',
  });
  assert.equal((await index.search('曹雪芹')).hits[0]?.book_id, 1);

  assert.equal((await index.deleteDocument(2).waitTask(WAIT)).status, 'succeeded');
  const gone = await apiError(index.getDocument(2));
  assert.equal(gone.cause?.code, 'document_not_found');
  assert.equal(gone.response.status, 404);
  assert.equal((await index.search('花果山')).hits.length, 0);
  const batch = await index.deleteDocuments([3]).waitTask(WAIT);
  assert.equal(batch.status, 'succeeded');
  assert.equal(batch.details?.deletedDocuments, 1);
  await index.updateFilterableAttributes(['tags']).waitTask(WAIT);
  const byFilter = await index.deleteDocuments({ filter: 'tags = 诗' }).waitTask(WAIT);
  assert.equal(byFilter.details?.deletedDocuments, 1);
  assert.equal((await index.getDocuments()).total, 1);

  const noKey = await index.addDocuments([{ title: '没有编号', body: '正文' }]).waitTask(WAIT);
  assert.equal(noKey.status, 'failed');
  assert.equal(noKey.error?.code, 'missing_document_id');
  const noCandidate = await client
    .index('nokey')
    .addDocuments([{ title: '没有编号', body: '正文' }])
    .waitTask(WAIT);
  assert.equal(noCandidate.error?.code, 'index_primary_key_no_candidate_found');
  assert.equal((await index.deleteAllDocuments().waitTask(WAIT)).status, 'succeeded');
  assert.equal((await index.getStats()).numberOfDocuments, 0);
  assert.equal((await client.deleteIndex('books').waitTask(WAIT)).status, 'succeeded');
  assert.equal((await apiError(index.getRawInfo())).cause?.code, 'index_not_found');
});

test('CSV and NDJSON bodies; synonyms and stop words apply to the query', async () => {
  const index = client.index('poems');
  const csv = 'id,title,body,year:number\n1,静夜思,床前明月光，疑是地上霜,701\n2,春晓,春眠不觉晓，处处闻啼鸟,689\n';
  assert.equal((await index.addDocumentsFromString(csv, 'text/csv').waitTask(WAIT)).status, 'succeeded');
  const ndjson = `${JSON.stringify({ id: 3, title: '登鹳雀楼', body: '白日依山尽，黄河入海流', year: 688 })}\n`;
  assert.equal((await index.addDocumentsFromString(ndjson, 'application/x-ndjson').waitTask(WAIT)).status, 'succeeded');
  assert.deepEqual(await index.getDocument(1), { id: '1', title: '静夜思', body: '床前明月光，疑是地上霜', year: 701 });
  assert.equal((await index.search('月光')).hits[0]?.title, '静夜思');
  assert.equal((await index.search('月亮')).hits.length, 0);
  const s = await index.updateSettings({ synonyms: { 月亮: ['明月'] }, stopWords: ['的'] }).waitTask(WAIT);
  assert.equal(s.status, 'succeeded');
  assert.equal((await index.search('月亮')).hits[0]?.title, '静夜思');
  assert.equal((await index.search('的 黄河')).hits[0]?.title, '登鹳雀楼');
  assert.deepEqual(await index.getSynonyms(), { 月亮: ['明月'] });
  // ruyi's own settings: turning pinyin on rebuilds the index from the stored documents.
  assert.equal((await index.updateSettings({ pinyin: true } as never).waitTask(WAIT)).status, 'succeeded');
  assert.equal((await index.search('huanghe')).hits[0]?.title, '登鹳雀楼');
  assert.equal(((await index.getSettings()) as { pinyin?: boolean }).pinyin, true);
});

test('tasks list filters by index, status and type; waitForTask works on a task uid', async () => {
  const tasks = await client.tasks.getTasks({ indexUids: ['articles'], statuses: ['succeeded'], types: ['documentAdditionOrUpdate'] });
  assert.ok(tasks.results.length >= 1);
  for (const t of tasks.results) {
    assert.equal(t.indexUid, 'articles');
    assert.equal(t.status, 'succeeded');
    assert.equal(t.type, 'documentAdditionOrUpdate');
  }
  const first = tasks.results[tasks.results.length - 1];
  assert.equal((await client.tasks.waitForTask(first?.uid as number, WAIT)).status, 'succeeded');
  const limited = await client.tasks.getTasks({ limit: 2 });
  assert.equal(limited.results.length, 2);
  assert.equal(limited.next, (limited.results[1]?.uid as number) - 1);
  const missing = await apiError(client.tasks.getTask(999_999));
  assert.equal(missing.cause?.code, 'task_not_found');
});

test('keys: the search key only searches; wrong and missing keys are refused', async () => {
  const keys = await client.getKeys();
  const search = keys.results.find((k) => k.actions.includes('search') && k.actions.length === 1);
  const admin = keys.results.find((k) => k.actions.includes('*'));
  assert.ok(search !== undefined && admin !== undefined);
  assert.equal((await client.getKey(search.uid)).key, search.key);
  const searcher = new Meilisearch({ host: server.url, apiKey: search.key });
  assert.equal((await searcher.index('articles').search('列出目录内容')).hits[0]?.title, 'ls - 列出目录内容');
  assert.equal((await searcher.multiSearch({ queries: [{ indexUid: 'articles', q: '月' }] })).results.length, 1);
  const denied = await apiError(searcher.index('articles').addDocuments([{ id: 'x', body: 'y' }]));
  assert.equal(denied.cause?.code, 'invalid_api_key');
  assert.equal(denied.response.status, 403);
  const adminClient = new Meilisearch({ host: server.url, apiKey: admin.key });
  assert.equal((await adminClient.index('articles').getStats()).numberOfDocuments, docs.length);
  assert.equal((await apiError(adminClient.getKeys())).response.status, 403);
  const wrong = await apiError(new Meilisearch({ host: server.url, apiKey: 'not-the-key' }).getStats());
  assert.equal(wrong.cause?.code, 'invalid_api_key');
  const none = await apiError(new Meilisearch({ host: server.url }).getStats());
  assert.equal(none.cause?.code, 'missing_authorization_header');
  assert.equal(none.response.status, 401);
  assert.deepEqual(await new Meilisearch({ host: server.url }).health(), { status: 'available' });
});
