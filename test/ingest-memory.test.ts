import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sampleDocs, tempDir } from './helpers.js';

/**
 * Peak RSS of reading a dump through readInputs, in a child process, for a small and a 10×
 * larger dump of each format: memory must not grow with the input. The child's JS heap is
 * capped below the large dump's size, so holding it would crash the child, not just show.
 * The sizes can be raised by hand (RUYI_INGEST_MEMORY_MB=100) to reproduce the README's figures.
 */
const LARGE_MB = Number(process.env.RUYI_INGEST_MEMORY_MB ?? 24);
const SMALL_MB = LARGE_MB / 10;
/** Below the large dump's size: holding it as strings (twice its size) would crash the child. */
const OLD_SPACE_MB = 16;
/**
 * RSS growth allowed between the two: what holding the difference as raw Buffers (outside
 * the capped heap) would cost. Measured growth is GC lag, 0 to 25 MiB, flat past 10 MB.
 */
const MAX_GROWTH_MB = LARGE_MB - SMALL_MB;

const cell = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

async function writeDump(dir: string, format: 'ndjson' | 'json' | 'csv', mb: number): Promise<string> {
  const file = join(dir, `dump-${mb}.${format}`);
  const out = createWriteStream(file);
  const docs = sampleDocs();
  let written = 0;
  const put = async (s: string): Promise<void> => {
    written += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, 'drain');
  };
  if (format === 'json') await put('[\n');
  if (format === 'csv') await put('id,title,body,tags,date\n');
  for (let n = 0; written < mb * 2 ** 20; n++) {
    const d = docs[n % docs.length] as (typeof docs)[number];
    const doc = { ...d, id: `${n}:${d.id}` };
    if (format === 'ndjson') await put(`${JSON.stringify(doc)}\n`);
    else if (format === 'json') await put(`${n === 0 ? '' : ',\n'}${JSON.stringify(doc)}`);
    else
      await put(
        `${[doc.id, doc.title ?? '', doc.body as string, (doc.tags ?? []).join('|'), (doc.date as string) ?? ''].map(cell).join(',')}\n`,
      );
  }
  if (format === 'json') await put('\n]\n');
  out.end();
  await once(out, 'finish');
  return file;
}

/** Reads the file in a fresh process and returns { docs, peak RSS in MiB }. */
function measure(file: string): { docs: number; rejected: number; peakMb: number } {
  const script = `
    import { readInputs } from ${JSON.stringify(new URL('../src/ingest/index.ts', import.meta.url).href)};
    let docs = 0, rejected = 0;
    for await (const item of readInputs([${JSON.stringify(file)}])) { if ('rejected' in item) rejected++; else docs++; }
    console.log(JSON.stringify({ docs, rejected, peakMb: Math.round(process.resourceUsage().maxRSS / 1024) }));`;
  const r = spawnSync(process.execPath, [`--max-old-space-size=${OLD_SPACE_MB}`, '--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

for (const format of ['ndjson', 'json', 'csv'] as const) {
  test(`memory: reading a ${LARGE_MB} MB ${format} dump peaks near a ${SMALL_MB} MB one`, async (t) => {
    const dir = tempDir(t);
    const small = measure(await writeDump(dir, format, SMALL_MB));
    const large = measure(await writeDump(dir, format, LARGE_MB));
    t.diagnostic(`${format}: ${SMALL_MB} MB → ${small.peakMb} MiB peak RSS, ${LARGE_MB} MB → ${large.peakMb} MiB (${large.docs} docs)`);
    assert.equal(small.rejected + large.rejected, 0);
    assert.ok(large.docs >= 9 * small.docs);
    assert.ok(large.peakMb - small.peakMb < MAX_GROWTH_MB, `${large.peakMb} - ${small.peakMb} MiB`);
  });
}
