// Used only when ruyi runs from source (tests, scripts): registers tsx inside the worker
// before importing the TypeScript worker, as workers/tsx-bootstrap.mjs does for the shard pool.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./analyze-worker.ts');

export const analyzeDocs = worker.analyzeDocs;
