import { openIndex } from '../../engine.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

/** `ruyi stats`: size and shape of an existing index. */
export async function statsCommand(o: { db: string; json?: boolean }): Promise<number> {
  const index = await openIndex(o.db, { create: false, threads: 1 });
  try {
    const s = index.stats();
    if (o.json) {
      printJson({ docs: s.docs, shards: s.shards, bytesOnDisk: s.bytesOnDisk, shardDocs: s.shardDocs, shardSegments: s.shardSegments });
    } else {
      printLine(`${o.db}: ${s.docs} documents in ${s.shards} shards, ${(s.bytesOnDisk / 1e6).toFixed(1)} MB on disk`);
      s.shardDocs.forEach((docs, i) => {
        printLine(`  shard ${i}: ${docs} documents, ${s.shardSegments[i]} segments`);
      });
    }
  } finally {
    await index.close();
  }
  return EXIT.ok;
}
