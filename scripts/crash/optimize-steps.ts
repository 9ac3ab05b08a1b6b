import { writeSync } from 'node:fs';
import { DEFAULT_SHARES, ShardWriter } from '../../src/indexing/shard-writer.js';

/**
 * The merge crash trials' child: runs optimize() steps on one shard of a generation, each in
 * a fresh opening of the environment as the shard worker does, with small steps and small
 * transactions so that a kill lands anywhere in a merge (between its transactions, inside
 * one, during the swap or the freeing). Prints "STEP k" after step k has committed, and
 * "DONE k" when the shard is optimized.
 * usage: optimize-steps.ts <generation dir> <shard> <step bytes> <txn bytes>
 */
const [gen, shardArg, stepArg, txnArg] = process.argv.slice(2);
const memory = { ...DEFAULT_SHARES, txnBytes: Number(txnArg) };
for (let k = 1; ; k++) {
  const writer = new ShardWriter(gen as string, Number(shardArg));
  const more = writer.optimizeStep(memory, Number(stepArg));
  await writer.close();
  if (!more) {
    writeSync(1, `DONE ${k - 1}\n`);
    break;
  }
  writeSync(1, `STEP ${k}\n`);
}
