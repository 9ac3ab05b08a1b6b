/**
 * The built-in search page in a real browser: `ruyi serve` (the built bin) on a temporary
 * data directory, the shipped sample added through the HTTP API, then Debian's headless
 * Chromium types a Chinese query letter by letter and must see highlighted hits and tag facets
 * that filter. Screenshots (light and dark) go to the test's temp dir, kept when
 * RUYI_KEEP_SCREENSHOTS=1 or when the test fails.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { articles, startBin } from './serve-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TASK_WAIT_MS = 60_000;
// Under the page's 150 ms debounce, as a person types: the page must wait for a pause and
// show the answer to the whole query, not to its first letter.
const KEY_DELAY_MS = 90;
const UID = 'articles';
// In the sample: 41 man pages in several sections (tags man1, man5, man7, man8): a few pages
// of hits and facets of different sizes.
const QUERY = '目录';

// CI installs chromium (.ci/run); a developer without it gets a skip that says why.
const skip = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} not installed (apt-get install chromium)` : false;

async function call(base: string, method: string, path: string, body?: string, type = 'application/json'): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { method, body, headers: body === undefined ? {} : { 'content-type': type } });
  const json: unknown = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Waits for a Meilisearch task to succeed, as the clients' waitForTask does. */
async function waitForTask(base: string, enqueued: unknown): Promise<void> {
  const uid = (enqueued as { taskUid: number }).taskUid;
  assert.equal(typeof uid, 'number', `a taskUid in ${JSON.stringify(enqueued)}`);
  const deadline = Date.now() + TASK_WAIT_MS;
  while (Date.now() < deadline) {
    const task = (await call(base, 'GET', `/tasks/${uid}`)) as { status: string; error?: unknown };
    if (task.status === 'succeeded') return;
    assert.notEqual(task.status, 'failed', `task ${uid} failed: ${JSON.stringify(task.error)}`);
    await sleep(50);
  }
  assert.fail(`task ${uid} not done within ${TASK_WAIT_MS} ms`);
}

/** The sample plus one hostile document, whose markup must be shown as text, never run. */
function documents(): string {
  const hostile = {
    id: 'hostile-markup',
    title: `<img src=x onerror="window.__pwned=1"> ${QUERY} <b>加粗</b>`,
    body: `${QUERY} <script>window.__pwned=1</script> &amp; 几时有`,
    tags: ['hostile'],
  };
  return [...articles(), hostile].map((d) => JSON.stringify(d)).join('\n');
}

async function launch(t: TestContext): Promise<Browser> {
  if (!existsSync(CHROMIUM)) assert.fail(`${CHROMIUM} is missing: CI must install Debian's chromium (.ci/run)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  return browser;
}

/** Texts of the hits' <mark> elements and the status line. */
async function snapshot(page: Page): Promise<{ marks: string[]; status: string; hits: number }> {
  return {
    marks: await page.locator('#hits mark').allTextContents(),
    status: (await page.locator('#status').textContent()) ?? '',
    hits: await page.locator('#hits > li').count(),
  };
}

test('the built-in page: search as you type, highlights, tag facets', { skip, timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ruyi-serve-browser-'));
  let keep = process.env.RUYI_KEEP_SCREENSHOTS === '1';
  t.after(() => {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  });
  const server = await startBin(join(dir, 'db'));
  t.after(() => server.stop());
  const base = server.url;

  await waitForTask(base, await call(base, 'POST', `/indexes/${UID}/documents?primaryKey=id`, documents(), 'application/x-ndjson'));
  await waitForTask(base, await call(base, 'PATCH', `/indexes/${UID}/settings`, JSON.stringify({ filterableAttributes: ['tags'] })));

  const browser = await launch(t);
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'zh-CN' });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  const searches: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith(`/indexes/${UID}/search`)) searches.push(r.postData() ?? '');
  });

  try {
    await page.goto(`${base}/`);
    // The page picks the first index and shows a placeholder search (every document).
    await page.locator('#index-select option', { hasText: UID }).waitFor({ state: 'attached' });
    await page.locator('#hits > li').first().waitFor();

    await page.locator('#q').pressSequentially(QUERY, { delay: KEY_DELAY_MS });
    // Expressions as strings: the type check knows Node's globals, not the browser's.
    await page.waitForFunction(
      `[...document.querySelectorAll('#hits mark')].some((m) => ${JSON.stringify(QUERY)}.includes(m.textContent))`,
      null,
      {
        timeout: 15_000,
      },
    );
    const typed = await snapshot(page);
    t.diagnostic(`"${QUERY}": ${typed.status}; marks ${JSON.stringify(typed.marks.slice(0, 8))}`);
    assert.ok(typed.hits > 0, 'hits are listed');
    assert.ok(
      typed.marks.some((m) => m !== '' && (QUERY.includes(m) || m.includes(QUERY))),
      'a highlight holds the query or a part of it',
    );
    assert.match(typed.status, /\d+ results? \(\d+ ms\)/, 'hit count and processing time');
    assert.ok(
      searches.some((body) => (JSON.parse(body) as { q: string }).q === QUERY),
      'the full query was sent',
    );

    await page.screenshot({ path: join(dir, 'serve-page.png'), fullPage: true });

    // Pagination: the next page lists other hits.
    const firstIds = await page.locator('#hits .hit-id').allTextContents();
    await page.locator('#next').click();
    await page.locator('#page-info', { hasText: '第 2 /' }).waitFor();
    await page.waitForFunction(`document.querySelector('#hits .hit-id')?.textContent !== ${JSON.stringify(firstIds[0])}`);
    assert.ok(!firstIds.includes((await page.locator('#hits .hit-id').first().textContent()) ?? ''), 'page 2 holds other hits');

    // Facets: pick the least frequent tag, so filtering visibly narrows the results.
    const facets = page.locator('#facet-list button.facet');
    await facets.first().waitFor();
    const counts = await facets.evaluateAll((buttons) =>
      buttons.map((b) => ({
        value: b.getAttribute('data-value') ?? '',
        count: Number(b.querySelector('.facet-count')?.textContent),
      })),
    );
    t.diagnostic(`facets: ${JSON.stringify(counts)}`);
    assert.ok(counts.length >= 2, 'several tags are offered');
    const pick = counts.filter((c) => c.value !== 'hostile').reduce((a, b) => (b.count < a.count ? b : a));
    await page.locator(`#facet-list button.facet[data-value="${pick.value}"]`).click();
    await page.locator(`#facet-list button.facet[data-value="${pick.value}"][aria-pressed="true"]`).waitFor();
    const everyHitTagged = `(() => {
      const hits = [...document.querySelectorAll('#hits > li')];
      return hits.length > 0 && hits.every((li) => [...li.querySelectorAll('.tag')].some((s) => s.textContent === ${JSON.stringify(pick.value)}));
    })()`;
    await page.waitForFunction(everyHitTagged, null, { timeout: 15_000 });
    const filtered = await snapshot(page);
    t.diagnostic(`filtered by tags = "${pick.value}": ${filtered.status}`);
    assert.ok(filtered.status.includes(`· ${pick.count} result`), `the facet's count (${pick.count}) is the filtered total`);
    assert.ok(
      searches.some((body) => JSON.stringify((JSON.parse(body) as { filter?: unknown }).filter ?? '').includes(pick.value)),
      'the filter was sent',
    );

    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(dir, 'serve-page-filtered-dark.png'), fullPage: true });
    t.diagnostic(`screenshots: ${join(dir, 'serve-page.png')} and serve-page-filtered-dark.png`);

    // The hostile document, opened from a shared URL (the page keeps q and tags there): its
    // markup is shown as literal text, highlighted, and nothing of it runs.
    await page.goto(`${base}/?index=${UID}&q=${encodeURIComponent(QUERY)}&tag=hostile`);
    const hostile = page.locator('#hits > li', { hasText: '加粗' });
    await hostile.locator('mark').first().waitFor();
    assert.equal(await page.locator('#hits > li').count(), 1, 'only the hostile document has the tag');
    assert.match((await hostile.locator('.hit-title').textContent()) ?? '', /^<img src=x onerror=/, 'markup shown as text');
    assert.match((await hostile.locator('.hit-snippet').textContent()) ?? '', /<script>.*&amp;/, 'entities and tags stay literal');
    assert.equal(await hostile.locator('img, b, script').count(), 0, 'no element made from document text');
    assert.equal(await page.evaluate('window.__pwned'), undefined, 'no document script ran');
    assert.deepEqual(problems, [], 'no errors in the page');
  } catch (error) {
    keep = true;
    await page.screenshot({ path: join(dir, 'serve-page-failure.png'), fullPage: true }).catch(() => undefined);
    t.diagnostic(`failure screenshot: ${join(dir, 'serve-page-failure.png')}; server stderr:\n${server.stderr()}`);
    throw error;
  }
});
