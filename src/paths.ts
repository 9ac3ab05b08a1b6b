import { fileURLToPath } from 'node:url';

/** Run from source (tsx) the modules end in .ts; built, they end in .js under dist/. */
const fromSource = import.meta.url.endsWith('.ts');

/** The package root: one level above src/ from source, two above dist/src/ when built. */
const packageRoot = new URL(fromSource ? '../' : '../../', import.meta.url);

/** From source, a bootstrap that registers tsx inside the worker (see the file for why). */
export const WORKER_FILE = fileURLToPath(
  new URL(fromSource ? '../workers/tsx-bootstrap.mjs' : '../workers/shard-worker.js', import.meta.url),
);
export const STOPWORDS_FILE = fileURLToPath(new URL('dict/stopwords.txt', packageRoot));
export const USER_DICT_FILE = fileURLToPath(new URL('dict/user.dict.txt', packageRoot));
