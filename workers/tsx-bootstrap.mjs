// Used only when ruyi runs from source under tsx (tests, scripts): on Node 20 a worker
// thread gets `--import tsx` in its execArgv but tsx's loader does not resolve .ts files
// there (measured with tsx 4.23), so the worker registers tsx itself before importing the
// TypeScript worker. Built code (dist/) loads dist/workers/shard-worker.js directly.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./shard-worker.ts');

export const indexBatch = worker.indexBatch;
export const optimizeShard = worker.optimizeShard;
