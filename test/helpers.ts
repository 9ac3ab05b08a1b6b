import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Doc } from '../src/index.js';

export const SAMPLE_FILE = new URL('./fixtures/sample/articles.ndjson', import.meta.url).pathname;

/** The shipped sample: 350 real documents (zh_CN man pages, fortunes-zh, chinese-poetry). */
export function sampleDocs(): Doc[] {
  return readFileSync(SAMPLE_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Doc);
}

/** A fresh directory removed after the test. */
export function tempDir(t: TestContext, prefix = 'ruyi-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Titles that occur once in the sample: known-item queries. */
export function uniqueTitles(docs: Doc[]): { id: string; title: string }[] {
  const count = new Map<string, number>();
  for (const d of docs) count.set(d.title ?? '', (count.get(d.title ?? '') ?? 0) + 1);
  return docs.filter((d) => d.title && count.get(d.title) === 1).map((d) => ({ id: d.id, title: d.title as string }));
}
