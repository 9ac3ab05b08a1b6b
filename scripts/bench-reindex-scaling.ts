/**
 * npm run bench:scaling [-- 25,50,100,200]
 *
 * Is a full reindex's memory independent of the dump's size? Rebuilds the index from dumps
 * of growing size (make-scale-corpus.py) at the same, default settings, each in a fresh
 * process, and prints peak RSS (max RSS from /usr/bin/time -v or maxRSS; peak RssAnon and
 * RssFile sampled from /proc), time and throughput, with each size's ratio to the smallest.
 * Writes bench-results/bench-scaling.json.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaleCorpus } from './corpus-cache.js';
import { measureChild } from './measure-child.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');
const sizes = (process.argv[2] ?? '25,50,100,200').split(',').map(Number);

console.log(
  `machine: ${os.cpus()[0]?.model}, ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, load ${os.loadavg()[0]?.toFixed(1)}`,
);
console.log('dump MB | max RSS MB | anon MB | file MB | seconds | MB/s | max RSS / smallest');
const rows: Record<string, number>[] = [];
const work = mkdtempSync(join(os.tmpdir(), 'ruyi-scaling-'));
try {
  for (const mb of sizes) {
    const file = scaleCorpus(mb);
    const db = join(work, `db-${mb}`);
    const peak = await measureChild(cli, ['index', file, '--db', db, '--json', '--quiet']);
    rmSync(db, { recursive: true, force: true });
    const bytes = statSync(file).size;
    const row = { dumpMb: bytes / 1e6, maxRssMb: peak.maxRssMb, anonMb: peak.anonMb, fileMb: peak.fileMb, seconds: peak.seconds };
    rows.push(row);
    const first = rows[0] as { maxRssMb: number };
    console.log(
      `${row.dumpMb.toFixed(0).padStart(7)} | ${row.maxRssMb.toFixed(0).padStart(10)} | ${row.anonMb.toFixed(0).padStart(7)} | ${row.fileMb.toFixed(0).padStart(7)} | ${row.seconds.toFixed(0).padStart(7)} | ${(row.dumpMb / row.seconds).toFixed(2).padStart(4)} | ${(row.maxRssMb / first.maxRssMb).toFixed(2)}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(
  join(root, 'bench-results/bench-scaling.json'),
  `${JSON.stringify({ date: new Date().toISOString(), load: os.loadavg(), rows }, null, 2)}\n`,
);
