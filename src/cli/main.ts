#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=64
// A 1 MB semi-space and a 64 MB old space keep V8 from growing the heap while it streams
// a dump (measured: 40 MB less at the start with the small semi-space, and no slow climb of
// 70 MB over 100 MB of input once the old space is bounded). The main thread holds at most
// 16 MB of pending and 16 MB of in-flight text, and huge lines stay bytes off the heap, so
// 64 MB is room enough.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { indexCommand } from './commands/index-command.js';
import { searchCommand } from './commands/search-command.js';
import { statsCommand } from './commands/stats-command.js';
import { parseBytes } from '../config.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { printError } from './output.js';

// `ruyi search ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

function bytes(value: string): number {
  try {
    return parseBytes(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^ruyi: /, ''));
  }
}

const program = new Command()
  .name('ruyi')
  .description('Chinese full-text search: bulk index an article dump, search it, inspect it.')
  .showHelpAfterError()
  .exitOverride();

program
  .command('index')
  .description('index (add or replace) the documents of an NDJSON file, one {id, title, body, tags, date} object per line; - reads stdin')
  .argument('<file>', 'NDJSON dump, or - for stdin')
  .requiredOption('--db <dir>', 'index directory (created if missing)')
  .option('--threads <n>', 'worker threads (default: from memory and cores)', integer(1, 64))
  .option('--shards <n>', 'shards, fixed when the index is created (default 4)', integer(1, 256))
  .option('--max-memory <size>', 'memory budget, e.g. 256M or 1G (default: 40% of RAM, 160-256 MB)', bytes)
  .option('--max-doc-bytes <size>', 'largest document accepted (default 64M)', bytes)
  .option('--truncate', 'cut documents over --max-doc-bytes instead of rejecting them')
  .option('--json', 'print one JSON report on stdout')
  .action(async (file: string, o) => {
    process.exitCode = await indexCommand(file, o);
  });

program
  .command('search')
  .description(
    'search an index; the query language: "exact phrase", -exclude, a OR b, (groups), tag:go, title:分析, date:>=2019-01-01, date:2019-01..2019-12, prefix*',
  )
  .argument('<query>', 'e.g. "内存 溢出", \'"内存溢出" -beego tag:go\'')
  .requiredOption('--db <dir>', 'index directory')
  .option('--limit <n>', 'hits to show', integer(0, 1000), 10)
  .option('--offset <n>', 'hits to skip', integer(0, 1_000_000), 0)
  .option('--tag <tag...>', 'only documents with all these tags')
  .option('--plain', 'take the query as plain words: no operators (for pasted text)')
  .option('--prefix', 'the last word also matches words it begins (search as you type)')
  .addOption(new Option('--sort <order>', 'order of the hits').choices(['score', 'date', 'date-asc']).default('score'))
  .option('--count', 'print only the number of matches')
  .option('--timeout <ms>', 'stop after this many milliseconds and show what was found', integer(0, 3_600_000))
  .option('--json', 'print one JSON object on stdout')
  .action(async (query: string, o) => {
    process.exitCode = await searchCommand(query, o);
  });

program
  .command('stats')
  .description('documents, shards and size of an index; the memory budget and threads this machine gets')
  .requiredOption('--db <dir>', 'index directory')
  .option('--max-memory <size>', 'show the plan for this budget instead of the default', bytes)
  .option('--json', 'print one JSON object on stdout')
  .action(async (o) => {
    process.exitCode = await statsCommand(o);
  });

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    printError((err as Error).message);
    process.exitCode = exitCodeFor(err);
  }
}
