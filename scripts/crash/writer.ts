import { writeSync } from 'node:fs';
import { openIndex } from '../../src/index.js';
import { makeDoc, step } from './plan.js';

/**
 * The crash trials' incremental writer: applies steps 1..n of the plan, flushing after
 * each, and prints "ACK k" only once step k's flush has resolved (acknowledged = durable).
 * usage: writer.ts <db> <seed> <steps>
 */
const [db, seedArg, stepsArg] = process.argv.slice(2);
const seed = Number(seedArg);
const index = await openIndex(db as string, { threads: 1, batchBytes: 16 * 1024 });
for (let k = 1; k <= Number(stepsArg); k++) {
  const plan = step(seed, k);
  await index.add(plan.adds.map((a) => makeDoc(a.id, a.version)));
  await index.remove(plan.removes);
  await index.flush();
  writeSync(1, `ACK ${k}\n`);
}
await index.close();
