import { openIndex } from '../../engine.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLine, threadCount } from '../output.js';

/** `ruyi stats`: size and shape of an existing index. */
export async function statsCommand(o: { db: string; json?: boolean; maxMemory?: number }): Promise<number> {
  const index = await openIndex(o.db, { create: false, preloadAnalyzer: false, ...(o.maxMemory === undefined ? {} : { maxMemory: o.maxMemory }) });
  try {
    const s = index.stats();
    if (o.json) {
      printJson({
        docs: s.docs,
        generation: s.generation,
        shards: s.shards,
        bytesOnDisk: s.bytesOnDisk,
        shardDocs: s.shardDocs,
        shardSegments: s.shardSegments,
        memory: s.memory,
      });
    } else {
      printLine(`${o.db} (${s.generation}): ${s.docs} documents in ${s.shards} shards, ${(s.bytesOnDisk / 1e6).toFixed(1)} MB on disk`);
      const m = s.memory;
      printLine(
        `memory budget ${Math.round(m.maxMemory / 2 ** 20)} MB (${m.maxMemorySource === 'option' ? 'from --max-memory' : `40% of this machine's ${Math.round(m.machineMemory / 2 ** 20)} MB, at least what one thread needs and at most 256 MB`}); ` +
          `indexing needs at least ${Math.round(m.minimumBytes / 2 ** 20)} MB with ${threadCount(m.threads)}`,
      );
      printLine(
        `threads for indexing: ${m.threads} (${m.threadsReason}); per worker: heap limit ${m.workerHeapMb} MB, ` +
          `${Math.round(m.postingsBytes / 2 ** 20)} MB of postings before a spill; largest document ${Math.round(m.maxDocBytes / 2 ** 20)} MB`,
      );
      s.shardDocs.forEach((docs, i) => {
        printLine(`  shard ${i}: ${docs} documents, ${s.shardSegments[i]} segments`);
      });
    }
  } finally {
    await index.close();
  }
  return EXIT.ok;
}
