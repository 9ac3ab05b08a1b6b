import { defaultMaxMemory } from '../../config.js';
import { EXIT } from '../exit-codes.js';
import { printError, printJson, printLine, threadCount } from '../output.js';
import type { Settings } from '../settings.js';
import { tune } from '../tune.js';

export interface TuneCommandFlags extends Settings {
  sample: number;
  rounds: number;
  maxThreads?: number;
  json?: boolean;
}

/** `ruyi tune <inputs...>`: what --threads to use on this machine, within this budget. */
export async function tuneCommand(inputs: string[], flags: TuneCommandFlags): Promise<number> {
  const maxMemory = flags.maxMemory ?? defaultMaxMemory();
  const quiet = flags.json === true || flags.quiet === true;
  const result = await tune(inputs, {
    maxMemory,
    sampleBytes: flags.sample,
    rounds: flags.rounds,
    ...(flags.maxThreads === undefined ? {} : { maxThreads: flags.maxThreads }),
    input: {
      ...(flags.format === undefined ? {} : { format: flags.format }),
      ...(flags.fields === undefined ? {} : { fields: flags.fields }),
      ...(flags.html ? { html: true } : {}),
    },
    onTrial: (t) => {
      if (!quiet) printError(`  trial: ${threadCount(t.threads)}, ${t.mbPerSecond} MB/s, peak RSS ${t.peakRssMb} MB`);
    },
  });
  if (flags.json) {
    printJson(result);
  } else {
    printLine(`sample: ${result.sampleDocs} documents, ${(result.sampleBytes / 1e6).toFixed(1)} MB; budget ${result.maxMemoryMb} MB`);
    printLine('threads   MB/s   docs/s   peak RSS   within budget');
    for (const t of result.trials) {
      printLine(
        `${String(t.threads).padStart(7)} ${t.mbPerSecond.toFixed(2).padStart(6)} ${String(t.docsPerSecond).padStart(8)} ${`${t.peakRssMb} MB`.padStart(10)}   ${t.fits ? 'yes' : 'NO'}`,
      );
    }
    printLine(
      result.recommended === null
        ? `no recommendation: ${result.reason}`
        : `recommended: --threads ${result.recommended} --max-memory ${result.maxMemoryMb}M (${result.reason})`,
    );
  }
  return result.recommended === null ? EXIT.input : EXIT.ok;
}
