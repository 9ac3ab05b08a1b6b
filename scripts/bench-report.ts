/**
 * npm run bench:report: rewrites BENCHMARKS.md and the charts from bench-results/bench.json
 * (the last full `npm run bench`), e.g. after changing the report; measures nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Results, writeReport } from './bench/report.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const results = JSON.parse(readFileSync(join(root, 'bench-results', 'bench.json'), 'utf8')) as Results;
console.log(writeReport(results, root));
