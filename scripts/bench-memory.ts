/**
 * npm run bench:memory [-- --quick]
 *
 * Peak memory of `ruyi index` (fresh process each) on: (a) 100 MB of articles at default
 * settings, (b) one 8 MiB and one 50 MiB article (../shared/corpus/make-long-doc.py),
 * (c) 100 MB at --threads 1, 2 and 4, and (d) --max-memory 160M; and the same inputs
 * through a naive pass (whole-document jieba cut, everything in RAM) for comparison.
 * For each: maxRSS from /usr/bin/time -v, and the peaks of RssAnon (memory only the
 * process holds) and RssFile (pages of the memory-mapped index, which the kernel can drop)
 * sampled from /proc every 100 ms. Then the idle baseline of a host app: resident memory
 * after a burst of adds, once idle workers have exited.
 * Prints a table and writes bench-results/bench-memory.json. `-- --no-naive` skips the naive
 * passes (they do not change with ruyi, and take minutes and gigabytes).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openIndex } from '../src/index.js';
import { devCorpus, longDoc, scaleCorpus } from './corpus-cache.js';
import { measureChild } from './measure-child.js';

const quick = process.argv.includes('--quick');
const naivePasses = !process.argv.includes('--no-naive');
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');

async function main(): Promise<void> {
  const corpus = quick ? scaleCorpus(10) : scaleCorpus(100);
  const inputs: { name: string; file: string; args: string[] }[] = [
    { name: quick ? '10 MB, defaults' : '100 MB, defaults', file: corpus, args: [] },
    { name: 'one 8 MiB article, defaults', file: longDoc(8), args: [] },
    { name: 'one 50 MiB article, defaults', file: longDoc(50), args: [] },
    { name: '--threads 1', file: corpus, args: ['--threads', '1'] },
    { name: '--threads 2', file: corpus, args: ['--threads', '2'] },
    { name: '--threads 4', file: corpus, args: ['--threads', '4'] },
    { name: '--max-memory 160M', file: corpus, args: ['--max-memory', '160M'] },
  ];
  console.log(
    `machine: ${os.cpus()[0]?.model}, ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`,
  );
  console.log('run                              | engine | max RSS MB | anon MB | file MB | seconds');
  const rows: Record<string, unknown>[] = [];
  const work = mkdtempSync(join(os.tmpdir(), 'ruyi-mem-'));
  try {
    for (const input of inputs) {
      const db = join(work, `db-${rows.length}`);
      // The bin is run as users run it, so its shebang's V8 flags apply.
      const r = await measureChild(cli, ['index', input.file, '--db', db, '--json', ...input.args]);
      rmSync(db, { recursive: true, force: true });
      rows.push({ run: input.name, engine: 'ruyi', ...r, stdout: undefined });
      console.log(
        `${input.name.padEnd(32)} | ruyi   | ${r.maxRssMb.toFixed(0).padStart(10)} | ${r.anonMb.toFixed(0).padStart(7)} | ${r.fileMb.toFixed(0).padStart(7)} | ${r.seconds.toFixed(1)}${r.exit === 0 ? '' : ` (exit ${r.exit})`}`,
      );
      if (naivePasses && input.args.length === 0) {
        const naive = await measureChild(process.execPath, [join(root, 'scripts/naive-index.mjs'), input.file]);
        rows.push({ run: input.name, engine: 'naive', ...naive, stdout: undefined });
        console.log(
          `${input.name.padEnd(32)} | naive  | ${naive.maxRssMb.toFixed(0).padStart(10)} | ${naive.anonMb.toFixed(0).padStart(7)} | ${naive.fileMb.toFixed(0).padStart(7)} | ${naive.seconds.toFixed(1)}${naive.exit === 0 ? '' : ` (exit ${naive.exit})`}`,
        );
      }
    }

    // A host app: open, add a few posts now and then, search; what stays resident when idle.
    const anonNow = (): number => Number(/RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
    const start = anonNow();
    const index = await openIndex(join(work, 'host'), { idleTimeoutMs: 1000 });
    const sample = JSON.parse(readFileSync(devCorpus(), 'utf8').split('\n')[0] as string);
    await index.add(Array.from({ length: 20 }, (_, i) => ({ ...sample, id: `post-${i}` })));
    await index.flush();
    const busy = anonNow();
    index.search('内存');
    const searched = anonNow();
    await new Promise((r) => setTimeout(r, 3000));
    const idle = anonNow();
    await index.close();
    const host = { startMb: start, afterBurstMb: busy, afterFirstSearchMb: searched, idleMb: idle };
    console.log(
      `host app (this process, RssAnon): start ${start.toFixed(0)} MB, after a burst of adds ${busy.toFixed(0)} MB, ` +
        `after the first search ${searched.toFixed(0)} MB, idle (workers exited) ${idle.toFixed(0)} MB`,
    );
    mkdirSync(join(root, 'bench-results'), { recursive: true });
    writeFileSync(
      join(root, 'bench-results', quick ? 'bench-memory-quick.json' : 'bench-memory.json'),
      `${JSON.stringify({ date: new Date().toISOString(), rows, host }, null, 2)}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
