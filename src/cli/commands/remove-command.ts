import { isClusterDir } from '../../cluster/cluster-config.js';
import { openCluster } from '../../cluster/cluster-index.js';
import { openIndex } from '../../engine.js';
import { EXIT } from '../exit-codes.js';
import { printError, printJson, printLine } from '../output.js';
import { requireDb, type Settings } from '../settings.js';

/** `ruyi remove <id...>`: removes documents from the live index; durable when it exits 0. */
export async function removeCommand(ids: string[], flags: Settings & { json?: boolean }): Promise<number> {
  const db = requireDb(flags);
  // Issue 15: a cluster directory (cluster.json) is written through its nodes.
  const open = isClusterDir(db) ? openCluster : openIndex;
  const index = await open(db, {
    create: false,
    preloadAnalyzer: false,
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
    ...(flags.maxMemory === undefined ? {} : { maxMemory: flags.maxMemory }),
  });
  let report: Awaited<ReturnType<typeof index.flush>>;
  try {
    await index.remove(ids);
    report = await index.flush();
  } finally {
    await index.close();
  }
  const result = { removed: report.removed, missing: report.missing, failed: report.failed };
  if (flags.json) printJson(result);
  else {
    printLine(`removed ${result.removed} documents${result.missing > 0 ? `; ${result.missing} ids were not in the index` : ''}`);
    for (const f of result.failed) printError(`  ${f.id}: ${f.reason}`);
  }
  return report.failedCount > 0 ? EXIT.index : EXIT.ok;
}
