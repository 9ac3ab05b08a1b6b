/**
 * npm run bench:memory [-- --quick] [-- --mb 50] [-- --flat 25,50,100] [-- --naive] [-- --no-cgroup]
 *
 * Peak memory of `ruyi index` (a fresh child through the built bin each time) against the
 * targets of issue 11, on four inputs: the dev corpus and the manuals corpus recombined to
 * `--mb` MB (default 25; --quick 10), and one 8 MiB and one 50 MiB article (make-long-doc.py):
 *  1. each input at the defaults, `--threads 1`, and `--max-memory` 200M, 256M, 384M, 512M.
 *     Targets: defaults ≤ 256 MB; `--threads 1` ≤ 160 MB; a budget's peak ≤ the budget, or the
 *     run refused up front (exit 1 with a message naming the minimum: a pass, printed);
 *  2. flat in dump size: 25, 50, 100, 200 and 400 MB of the dev scale corpus at the defaults
 *     (--quick stops at 200): flat = the largest peak within 25% of the smallest;
 *  3. each input at the defaults inside a real memory cgroup of 160M, 256M and 512M (v2, else
 *     v1; see scripts/bench/cgroup.ts): finished, OOM-killed or refused; ruyi's default budget
 *     reads the limit (process.constrainedMemory()), so this is what a container sees;
 *  4. the idle baseline of a host app (this process): resident memory after a burst of adds,
 *     once the idle workers have exited.
 * Memory in MiB ("MB"; `--max-memory 256M` is 256 MiB): max RSS from /usr/bin/time -v (counts
 * touched pages of the memory-mapped index), and the peaks of RssAnon (what the process holds)
 * and RssFile sampled from /proc every 100 ms. `--naive` adds a naive pass (whole-document
 * jieba, everything in RAM) per input for comparison (minutes and gigabytes; it does not change
 * with ruyi). Prints the tables and verdicts; writes bench-results/bench-memory.json (-quick.json).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openIndex } from '../src/index.js';
import { memoryCgroup } from './bench/cgroup.js';
import { log, machineInfo } from './bench/machine.js';
import { writeBlock } from './bench/md-block.js';
import { devCorpus, longDoc, manualsCorpus, scaleCorpus } from './corpus-cache.js';
import { lastJsonLine, measureChild, type Peak } from './measure-child.js';

const quick = process.argv.includes('--quick');
const naivePasses = process.argv.includes('--naive');
const cgroups = !process.argv.includes('--no-cgroup');
const mbAt = process.argv.indexOf('--mb');
const MB = mbAt > 0 ? Number(process.argv[mbAt + 1]) : quick ? 10 : 25;
const flatAt = process.argv.indexOf('--flat');
const FLAT_SIZES =
  flatAt > 0
    ? (process.argv[flatAt + 1] ?? '').split(',').filter(Boolean).map(Number)
    : quick
      ? [25, 50, 100, 200]
      : [25, 50, 100, 200, 400];
const BUDGETS = [200, 256, 384, 512];
const CGROUP_LIMITS = [160, 256, 512];
const TARGET_DEFAULTS_MB = 256;
const TARGET_THREADS1_MB = 160;
/** A run that takes longer is killed and reported (400 MB at 1 thread takes ~3-4 min on 2 cores). */
const RUN_TIMEOUT_MS = 20 * 60_000;
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = join(root, 'dist/src/cli/main.js');

type Outcome = 'finished' | 'refused' | 'oom-killed' | 'failed' | 'timed out';

interface Row extends Pick<Peak, 'maxRssMb' | 'anonMb' | 'fileMb' | 'seconds' | 'exit' | 'signal'> {
  input: string;
  config: string;
  inputMb: number;
  outcome: Outcome;
  /** ruyi's thread count and budget from its --json report. */
  threads?: number;
  budgetMb?: number;
  /** A refusal's (or failure's) message. */
  message?: string;
  target?: number;
  pass?: boolean;
  cgroup?: { limitMb: number; kind: string; oomKills: number; peakMb?: number };
}

const fmt = (x: number | undefined, digits = 0): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

/** The message of a refusal: exit 1 and a line naming the minimum (E_CONFIG, "minimum", "at least", "below"). */
function refusal(peak: Peak): string | undefined {
  if (peak.exit !== 1) return undefined;
  const text = `${peak.stderrTail}\n${peak.stdout}`;
  return text
    .split('\n')
    .find((l) => /E_CONFIG|minimum|at least|below|too small/i.test(l))
    ?.trim();
}

function outcomeOf(peak: Peak, oomKills = 0): { outcome: Outcome; message?: string } {
  if (peak.timedOut) return { outcome: 'timed out' };
  if (oomKills > 0 || (peak.signal === 9 && !peak.timedOut)) return { outcome: 'oom-killed' };
  if (peak.exit === 0) return { outcome: 'finished' };
  const message = refusal(peak);
  if (message) return { outcome: 'refused', message };
  return { outcome: 'failed', message: peak.stderrTail.trim().split('\n').slice(-2).join(' / ') };
}

async function runRuyi(input: { name: string; file: string }, config: string, args: string[], work: string, cgroupLimitMb?: number) {
  const db = join(work, 'db');
  rmSync(db, { recursive: true, force: true });
  let group: ReturnType<typeof memoryCgroup> | undefined;
  if (cgroupLimitMb !== undefined) {
    group = memoryCgroup(`ruyi-bench-${process.pid}-${cgroupLimitMb}`, cgroupLimitMb * 2 ** 20);
    if (typeof group === 'string') return { skipped: group };
  }
  const peak = await measureChild(cli, ['index', input.file, '--db', db, '--json', ...args], {
    timeoutMs: RUN_TIMEOUT_MS,
    cgroupDir: typeof group === 'object' ? group.dir : undefined,
  });
  let cgroupInfo: Row['cgroup'];
  if (typeof group === 'object' && cgroupLimitMb !== undefined) {
    cgroupInfo = { limitMb: cgroupLimitMb, kind: group.kind, oomKills: group.oomKills(), peakMb: group.peakMb() };
    // The group can only be removed once empty; its last process may take a moment to go.
    for (let i = 0; i < 50; i++) {
      try {
        group.remove();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  rmSync(db, { recursive: true, force: true });
  const { outcome, message } = outcomeOf(peak, cgroupInfo?.oomKills);
  const report = outcome === 'finished' ? lastJsonLine<{ threads?: number; maxMemoryMb?: number }>(peak.stdout) : undefined;
  const row: Row = {
    input: input.name,
    config,
    inputMb: statSync(input.file).size / 1e6,
    outcome,
    // No report from /usr/bin/time when the OOM killer took it too (it runs in the group): unknown, not 0.
    maxRssMb: peak.maxRssMb > 0 ? peak.maxRssMb : Number.NaN,
    anonMb: peak.anonMb,
    fileMb: peak.fileMb,
    seconds: peak.seconds,
    exit: peak.exit,
    signal: peak.signal,
    threads: report?.threads,
    budgetMb: report?.maxMemoryMb,
    message,
    cgroup: cgroupInfo,
  };
  return { row };
}

function judge(row: Row): void {
  if (row.config === 'defaults') row.target = TARGET_DEFAULTS_MB;
  else if (row.config === '--threads 1') row.target = TARGET_THREADS1_MB;
  else if (row.config.startsWith('--max-memory')) row.target = Number(/(\d+)M/.exec(row.config)?.[1]);
  if (row.target === undefined) return;
  // A refusal up front is the budget kept (the run never started); for the defaults and
  // --threads 1 targets there is no budget to refuse, so only a finished run can pass.
  row.pass = row.outcome === 'finished' ? row.maxRssMb <= row.target : row.outcome === 'refused' && row.config.startsWith('--max-memory');
}

function printRow(row: Row): void {
  const verdict = row.pass === undefined ? '' : row.pass ? 'pass' : 'FAIL';
  const what =
    row.outcome === 'finished'
      ? ''
      : row.outcome === 'refused'
        ? ` REFUSED: ${row.message}`
        : ` ${row.outcome.toUpperCase()}${row.message ? `: ${row.message}` : ''}${row.signal ? ` (signal ${row.signal})` : ''}`;
  const cg = row.cgroup
    ? ` | cgroup ${row.cgroup.limitMb}M (${row.cgroup.kind}): oom_kill ${row.cgroup.oomKills}, group peak ${fmt(row.cgroup.peakMb)} MB`
    : '';
  log(
    `${row.input.padEnd(14)} ${row.config.padEnd(18)} max RSS ${fmt(row.maxRssMb).padStart(4)} MB (anon ${fmt(row.anonMb).padStart(3)}, file ${fmt(row.fileMb).padStart(3)}) ` +
      `${fmt(row.seconds, 1).padStart(6)} s${row.threads !== undefined ? `, ${row.threads} thr, budget ${fmt(row.budgetMb)}` : ''}` +
      `${row.target !== undefined ? ` | target ≤ ${row.target}: ${verdict}` : ''}${cg}${what}`,
  );
}

async function hostApp(work: string) {
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
  log(
    `host app (this process, RssAnon): start ${fmt(start)} MB, after a burst of adds ${fmt(busy)} MB, ` +
      `after the first search ${fmt(searched)} MB, idle (workers exited) ${fmt(idle)} MB`,
  );
  return { startMb: start, afterBurstMb: busy, afterFirstSearchMb: searched, idleMb: idle };
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const machine = machineInfo();
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGb} GB, Node ${machine.node}, load ${fmt(machine.loadAverageAtStart, 2)}`,
  );
  const inputs = [
    { name: `dev-${MB}`, file: scaleCorpus(MB) },
    { name: `manuals-${MB}`, file: manualsCorpus(MB) },
    { name: 'long-8MiB', file: longDoc(8) },
    { name: 'long-50MiB', file: longDoc(50) },
  ];
  const configs: [string, string[]][] = [
    ['defaults', []],
    ['--threads 1', ['--threads', '1']],
    ...BUDGETS.map((b): [string, string[]] => [`--max-memory ${b}M`, ['--max-memory', `${b}M`]]),
  ];
  const work = mkdtempSync(join(os.tmpdir(), 'ruyi-mem-'));
  const rows: Row[] = [];
  const flat: Row[] = [];
  const cgroupRows: Row[] = [];
  let cgroupSkipped: string | undefined;
  const naive: Record<string, unknown>[] = [];
  let host: Awaited<ReturnType<typeof hostApp>> | undefined;
  try {
    log(`== budgets: ${inputs.map((i) => i.name).join(', ')}`);
    for (const input of inputs) {
      for (const [config, args] of configs) {
        const { row } = await runRuyi(input, config, args, work);
        if (!row) continue;
        judge(row);
        printRow(row);
        rows.push(row);
      }
      if (naivePasses) {
        const peak = await measureChild(process.execPath, [join(root, 'scripts/naive-index.mjs'), input.file], {
          timeoutMs: RUN_TIMEOUT_MS,
        });
        naive.push({
          input: input.name,
          maxRssMb: peak.maxRssMb,
          anonMb: peak.anonMb,
          fileMb: peak.fileMb,
          seconds: peak.seconds,
          exit: peak.exit,
        });
        log(
          `${input.name.padEnd(14)} naive pass         max RSS ${fmt(peak.maxRssMb)} MB (anon ${fmt(peak.anonMb)}) ${fmt(peak.seconds, 1)} s`,
        );
      }
    }

    log(`== flat in dump size: ${FLAT_SIZES.join(', ')} MB of the dev scale corpus, defaults`);
    for (const mb of FLAT_SIZES) {
      // The budget sweep's defaults run on the same file is reused rather than repeated.
      const reuse = rows.find((r) => r.input === `dev-${mb}` && r.config === 'defaults');
      const row = reuse ? { ...reuse } : (await runRuyi({ name: `dev-${mb}`, file: scaleCorpus(mb) }, 'defaults', [], work)).row;
      if (!row) continue;
      judge(row);
      if (!reuse) printRow(row);
      flat.push(row);
    }

    if (cgroups) {
      log(`== inside a memory cgroup of ${CGROUP_LIMITS.map((l) => `${l}M`).join(', ')}, defaults`);
      outer: for (const input of inputs) {
        for (const limit of CGROUP_LIMITS) {
          const r = await runRuyi(input, `cgroup ${limit}M`, [], work, limit);
          if (r.skipped !== undefined) {
            cgroupSkipped = r.skipped;
            log(`cgroup runs SKIPPED: ${r.skipped}`);
            break outer;
          }
          printRow(r.row);
          cgroupRows.push(r.row);
        }
      }
    } else cgroupSkipped = '--no-cgroup';

    host = await hostApp(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  // Summary: the verdicts in one place (also BENCHMARKS.md's bench:memory block).
  const md: string[] = [];
  md.push('', '| input | config | max RSS MB | anon MB | file MB | s | threads | target MB | verdict |');
  md.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of [...rows, ...flat.filter((f) => !rows.some((r) => r.input === f.input && r.config === f.config))]) {
    const verdict =
      r.pass === undefined
        ? ''
        : r.pass
          ? r.outcome === 'refused'
            ? 'pass (refused)'
            : 'pass'
          : `**FAIL**${r.outcome === 'finished' ? '' : ` (${r.outcome})`}`;
    md.push(
      `| ${r.input} | ${r.config} | ${fmt(r.maxRssMb)} | ${fmt(r.anonMb)} | ${fmt(r.fileMb)} | ${fmt(r.seconds, 1)} | ${r.threads ?? '-'} | ${r.target ?? '-'} | ${verdict} |`,
    );
  }
  const finishedFlat = flat.filter((r) => r.outcome === 'finished');
  const peaks = finishedFlat.map((r) => r.maxRssMb);
  const flatFactor = peaks.length > 1 ? Math.max(...peaks) / Math.min(...peaks) : undefined;
  md.push(
    '',
    `flat in dump size (defaults, max RSS): ${flat.map((r) => `${r.input} ${fmt(r.maxRssMb)}`).join(', ')} MB: ` +
      `× ${fmt(flatFactor, 2)} (target ≤ × 1.25: ${flatFactor === undefined ? 'n/a' : flatFactor <= 1.25 ? 'pass' : 'FAIL'})`,
  );
  if (cgroupRows.length > 0) {
    md.push('', '| input | cgroup limit | outcome | max RSS MB | anon MB | group peak MB | oom_kill | s |');
    md.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of cgroupRows) {
      md.push(
        `| ${r.input} | ${r.cgroup?.limitMb}M | ${r.outcome}${r.message ? `: ${r.message}` : ''} | ${fmt(r.maxRssMb)} | ${fmt(r.anonMb)} | ${fmt(r.cgroup?.peakMb)} | ${r.cgroup?.oomKills} | ${fmt(r.seconds, 1)} |`,
      );
    }
  } else md.push('', `cgroup runs: skipped (${cgroupSkipped})`);
  console.log(`\n${md.join('\n')}`);
  // The flat series reuses the sweep's defaults run on the same file: count it once.
  const judged = [...rows, ...flat.filter((f) => !rows.some((r) => r.input === f.input && r.config === f.config))].filter(
    (r) => r.pass !== undefined,
  );
  const minutes = (Date.now() - startedAt) / 60_000;
  log(
    `${judged.filter((r) => r.pass).length} of ${judged.length} runs within their target; done in ${fmt(minutes, 1)} min, load now ${fmt(os.loadavg()[0], 2)}`,
  );

  mkdirSync(join(root, 'bench-results'), { recursive: true });
  const out = join(root, 'bench-results', quick ? 'bench-memory-quick.json' : 'bench-memory.json');
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        minutes,
        machine: { ...machine, loadAverageAtEnd: os.loadavg()[0] },
        quick,
        corpusMb: MB,
        targets: { defaultsMb: TARGET_DEFAULTS_MB, threads1Mb: TARGET_THREADS1_MB, budgetsMb: BUDGETS, flatFactor: 1.25 },
        rows,
        flat: { rows: flat, factor: flatFactor },
        cgroup: { limitsMb: CGROUP_LIMITS, skipped: cgroupSkipped, rows: cgroupRows },
        naive,
        host,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote ${out}`);
  if (!quick) {
    const m = machine;
    writeBlock(
      join(root, 'BENCHMARKS.md'),
      'bench:memory',
      `## Memory against the budget (\`npm run bench:memory\`)

Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${fmt(minutes, 1)} min: ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB,
Node ${m.node}, load ${fmt(m.loadAverageAtStart, 1)} → ${fmt(os.loadavg()[0], 1)}. \`ruyi index\` in a fresh child each time; MB = MiB
(\`--max-memory 256M\` is 256 MiB). *max RSS*: /usr/bin/time -v (counts touched pages of the memory-mapped index
and Node's own code); *anon*/*file*: sampled peaks of RssAnon/RssFile. Targets (issue 11): defaults ≤ 256, \`--threads 1\`
≤ 160, a budget's peak ≤ the budget or the run refused up front (exit 1 naming the minimum: a pass). In a cgroup the
limit is the group's own charge (memory.max / memory.limit_in_bytes): pages already cached by another group (Node's
binary) are not charged to it, so the group's peak can sit below the max RSS.

${md.join('\n')}
`,
    );
  }
}

await main();
