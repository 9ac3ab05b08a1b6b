#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536 MALLOC_TRIM_THRESHOLD_=131072 node --max-semi-space-size=1 --max-old-space-size=64 --single-threaded-gc
// The memory budget counts every byte the process holds, so the bin keeps the runtime's own
// slack small: a 1 MB semi-space and a 64 MB old space keep V8 from growing the main heap
// while it streams a dump (the main thread holds at most the plan's few MB of text; huge
// lines stay bytes off the heap); two glibc arenas instead of one per thread (64 MB each);
// and allocations over 64 KB mapped on their own, so freed ones go back to the kernel
// instead of staying in a fragmented heap (measured: 8 MB less at the peak of one thread).
// V8 collects on the thread that allocates (--single-threaded-gc): its GC helper threads made a
// searching process keep 1.2 cores busy, so two on two cores answered 1.5x one, not 1.85x
// (bench:search); the same queries per second alone, and indexing no slower (2.0 s either way
// for the dev corpus, 2.1 s for manuals-10mb).
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { parseBytes } from '../config.js';
import { registerClusterCommands } from './commands/cluster-cli.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { printError } from './output.js';
import { resolveSettings } from './settings.js';

// Each command's module is imported when it runs: `ruyi search` then loads no ingest, serve or
// verify code (177 modules instead of 288; module loading is most of a short command's wall time).

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

function addIndexOptions(cmd: Command): Command {
  return cmd
    .option('--db <dir>', 'index directory (or RUYI_DB)')
    .option('--config <file>', 'JSON file of settings (or RUYI_CONFIG); flags and RUYI_* variables win over it')
    .option('--threads <n>', 'worker threads (default: from memory and cores)', integer(1, 64))
    .option('--max-memory <size>', 'memory budget, e.g. 256M or 1G (default: 40% of RAM, kept within 240-256 MB)', bytes);
}

addIndexOptions(
  program
    .command('index')
    .description(
      'rebuild the index from article dumps: a new generation is built beside the live one and switched in when complete (--update: add and replace into the live index)',
    )
    .argument('<inputs...>', 'NDJSON/JSONL, JSON array, CSV, or a directory of Markdown/HTML/text files (.gz too); - reads stdin'),
)
  .option('--update', 'add and replace into the live index instead of rebuilding it')
  .option('--format <format>', 'input format instead of detecting it: ndjson, json, csv, markdown, html, txt')
  .option('--id-field <name>', 'source field holding the id (default "id")')
  .option('--title-field <name>', 'source field holding the title (default "title")')
  .option('--body-field <name>', 'source field holding the body (default "body")')
  .option('--tags-field <name>', 'source field holding the tags (default "tags")')
  .option('--date-field <name>', 'source field holding the date (default "date")')
  .option('--html', 'the body field is HTML: index its text')
  .option('--pinyin', 'a new index also indexes pinyin: neicun and nc find 内存 (kept by later rebuilds; index ~40% larger)')
  .option('--no-pinyin', 'a rebuild drops pinyin')
  .option('--traditional', 'a new index folds traditional Chinese to simplified: 記憶體 and 內存 find 内存 (kept by later rebuilds)')
  .option('--no-traditional', 'a rebuild drops the traditional folding')
  .option('--strict', 'stop at the first bad record (nothing is switched)')
  .option('--max-errors <n>', 'stop after more than n bad records (nothing is switched)', integer(0, Number.MAX_SAFE_INTEGER))
  .option('--shards <n>', "shards of a new index (default: the live index's, or 4)", integer(1, 256))
  .option('--max-doc-bytes <size>', 'largest document accepted (default 64M)', bytes)
  .option('--truncate', 'cut documents over --max-doc-bytes instead of rejecting them')
  .option('--quiet', 'no progress display')
  .option('--json', 'print one JSON report on stdout')
  .action(async (inputs: string[], o) => {
    const { idField, titleField, bodyField, tagsField, dateField, update, json, ...rest } = o;
    const mapped = { id: idField, title: titleField, body: bodyField, tags: tagsField, date: dateField };
    const fields = Object.values(mapped).some((v) => v !== undefined) ? mapped : undefined;
    const settings = resolveSettings({ ...rest, ...(fields === undefined ? {} : { fields }) });
    process.exitCode = await (await import('./commands/index-command.js')).indexCommand(inputs, { ...settings, update, json });
  });

addIndexOptions(program.command('remove').description('remove documents by id from the live index').argument('<ids...>', 'document ids'))
  .option('--json', 'print one JSON object on stdout')
  .action(async (ids: string[], o) => {
    const { json, ...rest } = o;
    process.exitCode = await (await import('./commands/remove-command.js')).removeCommand(ids, { ...resolveSettings(rest), json });
  });

program
  .command('tune')
  .description(
    'trial reindexes of a sample of a dump at 1..N threads: throughput and peak RSS of each, and the --threads that fits the budget',
  )
  .argument('<inputs...>', 'the dump to sample (any format that index reads)')
  .option('--max-memory <size>', "the memory budget to fit (default: this machine's default budget)", bytes)
  .option('--sample <size>', 'how much of the dump each trial indexes', bytes, 20 * 2 ** 20)
  .option('--rounds <n>', 'trials per thread count (the best is kept: shared machines are noisy)', integer(1, 10), 1)
  .option('--max-threads <n>', 'largest thread count to try (default: min(cores, 4))', integer(1, 64))
  .option('--format <format>', 'input format instead of detecting it')
  .option('--config <file>', 'JSON file of settings (or RUYI_CONFIG)')
  .option('--json', 'print one JSON object on stdout')
  .action(async (inputs: string[], o) => {
    const { sample, rounds, maxThreads, json, ...rest } = o;
    process.exitCode = await (await import('./commands/tune-command.js')).tuneCommand(inputs, { ...resolveSettings(rest), sample, rounds, maxThreads, json });
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
  .option('--strict-syntax', 'a query that is not valid query syntax is an error (exit 4) instead of being searched as plain words')
  .option('--prefix', 'the last word also matches words it begins (search as you type)')
  .addOption(new Option('--sort <order>', 'order of the hits').choices(['score', 'date', 'date-asc']).default('score'))
  .option('--count', 'print only the number of matches')
  .option('--timeout <ms>', 'stop after this many milliseconds and show what was found', integer(0, 3_600_000))
  .option('--snippets', 'show the best fragment of each body with the matched words marked (HTML with --json)')
  .option('--json', 'print one JSON object on stdout')
  .action(async (query: string, o) => {
    process.exitCode = await (await import('./commands/search-command.js')).searchCommand(query, o);
  });

program
  .command('verify')
  .description('check the index for internal consistency (metadata, postings, documents, bodies, statistics) without changing it')
  .requiredOption('--db <dir>', 'index directory')
  .option('--deep', 're-analyze a sample of documents and compare their terms and positions')
  .option('--sample <n>', 'documents re-analyzed per shard with --deep', integer(1, 1_000_000), 200)
  .option('--json', 'print one JSON report on stdout')
  .action(async (o) => {
    process.exitCode = await (await import('./commands/verify-command.js')).verifyCommand(o);
  });

addIndexOptions(
  program
    .command('serve')
    .description('HTTP search server speaking a subset of the Meilisearch API; prints its URL on the first line of stdout'),
)
  .option('--host <host>', 'address to bind; anything but loopback needs a master key', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0: any free port)', integer(0, 65535), 7700)
  .option('--master-key <key>', 'require this key (or the keys derived from it) on every route but /health (or RUYI_MASTER_KEY)')
  .option('--max-payload <size>', 'largest request body, e.g. 100M (413 beyond)', bytes)
  .option('--max-requests <n>', 'requests handled at once; more get 503', integer(1, 100_000))
  .option('--max-doc-bytes <size>', 'largest single document of an upload (default 4M; or RUYI_MAX_DOC_BYTES)', bytes)
  .option('--headers-timeout <ms>', 'time to receive request headers', integer(1, 3_600_000))
  .option('--request-timeout <ms>', 'time to receive a whole request', integer(1, 86_400_000))
  .option('--keep-alive-timeout <ms>', 'idle keep-alive connections are closed after this', integer(1, 3_600_000))
  .option('--body-timeout <ms>', 'a request body that sends nothing for this long is cut off', integer(1, 3_600_000))
  .option('--json', 'access log as JSON lines on stderr')
  .action(async (o) => {
    const { host, port, maxPayload, maxRequests, headersTimeout, requestTimeout, keepAliveTimeout, bodyTimeout, json, ...rest } = o;
    const settings = resolveSettings(rest);
    process.exitCode = await (await import('./commands/serve-command.js')).serveCommand({
      ...settings,
      host,
      port,
      maxPayload,
      maxRequests,
      headersTimeout,
      requestTimeout,
      keepAliveTimeout,
      bodyTimeout,
      json,
    });
  });

program
  .command('stats')
  .description('documents, shards and size of an index; the memory budget and threads this machine gets')
  .requiredOption('--db <dir>', 'index directory')
  .option('--max-memory <size>', 'show the plan for this budget instead of the default', bytes)
  .option('--json', 'print one JSON object on stdout')
  .action(async (o) => {
    process.exitCode = await (await import('./commands/stats-command.js')).statsCommand(o);
  });

// Issue 15: `ruyi cluster ...` (src/cluster/, README "Past one machine").
registerClusterCommands(program);

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
