import { existsSync, readdirSync } from 'node:fs';
import { EngineError } from '../../errors.js';
import { formatFinding, type VerifyReport } from '../../verify/report.js';
import { verifyIndex } from '../../verify/verify-index.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

export interface VerifyCommandOptions {
  db: string;
  json?: boolean;
  deep?: boolean;
  /** --deep: documents re-analyzed per shard. */
  sample?: number;
}

/** Where the command writes its result (stdout by default; tests pass their own). */
export interface VerifyOutput {
  json(value: unknown): void;
  line(text: string): void;
}

const STDOUT: VerifyOutput = { json: printJson, line: printLine };

/**
 * `ruyi verify`: checks the index's internal consistency without changing it. Exit code 0
 * when consistent (notes allowed), 3 (index) when a problem was found, 1 (usage) when
 * there is no index at --db at all.
 */
export async function verifyCommand(o: VerifyCommandOptions, out: VerifyOutput = STDOUT): Promise<number> {
  if (!existsSync(o.db) || readdirSync(o.db).length === 0) throw new EngineError('E_CONFIG', `no index at ${o.db}`);
  const report = await verifyIndex(o.db, { deep: o.deep === true, ...(o.sample === undefined ? {} : { deepSample: o.sample }) });
  if (o.json) out.json(report);
  else printReport(report, out);
  return report.ok ? EXIT.ok : EXIT.index;
}

function printReport(r: VerifyReport, out: VerifyOutput): void {
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const totals = r.shards.reduce(
    (t, s) => ({ segments: t.segments + s.segments, terms: t.terms + s.terms, postings: t.postings + s.postings }),
    {
      segments: 0,
      terms: 0,
      postings: 0,
    },
  );
  const checked =
    `${count(r.docs, 'document')} in ${count(r.shards.length, 'shard')}, ${count(totals.segments, 'segment')}, ` +
    `${count(totals.terms, 'term')}, ${count(totals.postings, 'posting')}` +
    (r.deep ? `, ${count(r.analyzedDocs, 'document')} re-analyzed` : '') +
    ` (${(r.ms / 1000).toFixed(1)} s)`;
  for (const p of r.problems) out.line(`problem ${formatFinding(p)}`);
  if (r.problemCount > r.problems.length) out.line(`... and ${r.problemCount - r.problems.length} more problems`);
  for (const n of r.notes) out.line(`note ${formatFinding(n)}`);
  if (r.noteCount > r.notes.length) out.line(`... and ${r.noteCount - r.notes.length} more notes`);
  out.line(
    r.ok
      ? `${r.dir}: consistent: ${checked}${r.noteCount > 0 ? `; ${count(r.noteCount, 'note')}` : ''}`
      : `${r.dir}: INCONSISTENT: ${count(r.problemCount, 'problem')}; checked ${checked}`,
  );
}
