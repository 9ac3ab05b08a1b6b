import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Meilisearch, MeilisearchApiError } from 'meilisearch';
import { openIndex } from '../src/index.js';
import { startCluster } from './cluster-helpers.js';
import { uniqueTitles } from './helpers.js';
import { type Article, articles, MASTER_KEY, startBin } from './serve-helpers.js';

const WAIT = { timeout: 60_000, interval: 20 };

/** A document whose body word is in no other: what searchableAttributes takes out of the index. */
const PROBE: Article = { id: 'probe', title: '探针文档', body: '独一无二的鸭嘴兽在这里', tags: ['probe'], source: 'probe', n: 9999 };

/**
 * `ruyi serve --db CLUSTER_DIR`, driven only through the official Meilisearch JS client,
 * against real searchd nodes on loopback: one replica per shard, so that killing a node
 * loses its shards and the answer has to say so.
 */
test('ruyi serve on a cluster directory: documents, search with highlight and filters, settings, deletes, partial answers', async (t) => {
  const cluster = await startCluster(t, { nodes: 2, shards: 4, replicas: 1 });
  // A budget that cannot hold the server, its workers and the SphinxQL client is refused at start-up, naming the minimum.
  await assert.rejects(startBin(cluster.dir, ['--max-memory', '250M']), /exited with 1: .*250 MB budget is below the 262 MB.*--max-memory 262M/);
    const server = await startBin(cluster.dir, ['--master-key', MASTER_KEY]);
  t.after(async () => {
    assert.equal(await server.stop(), 0, server.stderr());
  });
  const client = new Meilisearch({ host: server.url, apiKey: MASTER_KEY });
  const index = client.index('articles');
  const docs = [...articles(), PROBE];

  const added = await index.addDocuments(docs).waitTask(WAIT);
  assert.equal(added.status, 'succeeded', JSON.stringify(added.error));
  const settings = await index
    .updateSettings({ filterableAttributes: ['tags', 'source', 'n'], sortableAttributes: ['n'] })
    .waitTask(WAIT);
  assert.equal(settings.status, 'succeeded', JSON.stringify(settings.error));
  assert.equal((await index.getStats()).numberOfDocuments, docs.length);
  // The cluster holds them all, read through the library as well.
  const direct = await openIndex(cluster.dir);
  t.after(() => direct.close());
  assert.equal(direct.stats().docs, docs.length);
  const sample = docs[123] as Article;
  assert.deepEqual(await index.getDocument(sample.id), sample);

  // Known items by title, first; highlighted and cropped from the stored document.
  const titles = uniqueTitles(docs).slice(0, 25);
  for (const { id, title } of titles) assert.equal((await index.search(title, { limit: 3 })).hits[0]?.id, id, title);
  const ls = await index.search('列出目录内容', { attributesToHighlight: ['title'], attributesToCrop: ['body'], cropLength: 12 });
  const first = ls.hits[0] as Article & { _formatted: Record<string, string> };
  assert.equal(first.title, 'ls - 列出目录内容');
  assert.match(first._formatted.title as string, /<em>/);
  assert.ok((first._formatted.body as string).length < first.body.length, 'body cropped');
  assert.equal((ls as unknown as { partial?: boolean }).partial, undefined);

  // Filters: every hit holds the condition, and a filter and its negation split the total.
  const source = 'chinese-poetry';
  const all = await index.search('人', { limit: 1000 });
  const yes = await index.search('人', { filter: `source = ${source}`, limit: 1000 });
  const no = await index.search('人', { filter: `source != ${source}`, limit: 1000 });
  assert.ok(yes.hits.length > 0 && no.hits.length > 0, `${yes.hits.length} / ${no.hits.length}`);
  for (const h of yes.hits) assert.equal(h.source, source);
  assert.equal(yes.estimatedTotalHits + no.estimatedTotalHits, all.estimatedTotalHits);
  const sorted = await index.search('人', { sort: ['n:asc'], limit: 50 });
  const ns = sorted.hits.map((h) => h.n as number);
  assert.deepEqual(ns, [...ns].sort((a, b) => a - b));
  const faceted = await index.search('人', { facets: ['source'] });
  assert.equal(faceted.facetDistribution?.source?.[source], yes.estimatedTotalHits);

  // Replace and delete go through the cluster writer.
  const renamed = { ...sample, title: '改过名字的蝾螈文章' };
  assert.equal((await index.addDocuments([renamed]).waitTask(WAIT)).status, 'succeeded');
  assert.equal((await index.search('蝾螈')).hits[0]?.id, sample.id);
  assert.equal(direct.get(sample.id)?.title, renamed.title);
  assert.equal((await index.deleteDocument(sample.id).waitTask(WAIT)).status, 'succeeded');
  assert.equal((await index.search('蝾螈')).hits.length, 0);
  assert.equal(direct.has(sample.id), false);
  assert.equal(direct.stats().docs, docs.length - 1);

  // New searchable attributes: the documents are written again without their bodies.
  assert.equal((await index.search('鸭嘴兽')).hits[0]?.id, PROBE.id);
  const titleOnly = await index.updateSettings({ searchableAttributes: ['title'] }).waitTask(WAIT);
  assert.equal(titleOnly.status, 'succeeded', JSON.stringify(titleOnly.error));
  assert.equal((await index.search('鸭嘴兽')).hits.length, 0);
  assert.equal((await index.search('探针文档')).hits[0]?.id, PROBE.id);
  // Pinyin is the cluster's, fixed at init.
  const pinyin = await index.updateSettings({ pinyin: true } as never).waitTask(WAIT);
  assert.equal(pinyin.status, 'failed');
  assert.match(pinyin.error?.message ?? '', /cluster init/);

  // A cluster holds one index: a second is refused, naming the first.
  const other = await client.createIndex('other').waitTask(WAIT);
  assert.equal(other.status, 'failed');
  assert.equal(other.error?.code, 'index_already_exists');
  assert.match(other.error?.message ?? '', /`articles`/);

  // A node down: its shards are missing and the answer says which; back up, it is used again.
  const before = await index.search('人', { limit: 1000 });
  const downShards = cluster.config.shards.filter((s) => s.replicas[0] === cluster.config.nodes[1]?.address).map((s) => s.name);
  await cluster.kill(1);
  const partial = (await index.search('人', { limit: 1000 })) as unknown as { partial: boolean; missingShards: { shard: string }[]; estimatedTotalHits: number };
  assert.equal(partial.partial, true);
  assert.deepEqual(partial.missingShards.map((m) => m.shard).sort(), downShards.sort());
  assert.ok(partial.estimatedTotalHits < before.estimatedTotalHits);
  const filteredPartial = (await index.search('人', { filter: `source = ${source}` })) as unknown as { partial?: boolean };
  assert.equal(filteredPartial.partial, true);
  await cluster.restart(1);
  const again = await index.search('人', { limit: 1000 });
  assert.equal((again as unknown as { partial?: boolean }).partial, undefined);
  assert.equal(again.estimatedTotalHits, before.estimatedTotalHits);

  // No node at all: 503 naming a node, in one line; then both back.
  await cluster.kill(0);
  await cluster.kill(1);
  await assert.rejects(index.search('人'), (err: unknown) => {
    assert.ok(err instanceof MeilisearchApiError);
    assert.equal(err.response.status, 503);
    assert.equal(err.cause?.code, 'cluster_unavailable');
    assert.match(err.message, /^(ruyi: )?node 127\.0\.0\.1:\d+: no replica of any shard answers/);
    return true;
  });
  await cluster.restart();
  assert.equal((await index.search('人', { limit: 1000 })).estimatedTotalHits, before.estimatedTotalHits);

  // Deleting the index empties the cluster, and the uid is free again.
  assert.equal((await index.delete().waitTask(WAIT)).status, 'succeeded');
  assert.equal(direct.stats().docs, 0);
  await assert.rejects(index.getStats(), (err: unknown) => err instanceof MeilisearchApiError && err.cause?.code === 'index_not_found');
  const recreated = await client.index('posts').addDocuments([PROBE]).waitTask(WAIT);
  assert.equal(recreated.status, 'succeeded', JSON.stringify(recreated.error));
  assert.equal((await client.index('posts').search('探针')).hits[0]?.id, PROBE.id);
});
