import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sampleDocs } from './helpers.js';

/** The built bin, as `npx ruyi serve` runs it (npm test builds dist/ first). */
export const BIN = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `ruyi serve --db <db> --port 0 ...` and reads the URL from the first line of stdout;
 * `bin` is another build's main.js (an installed package's), this checkout's by default.
 */
export async function startBin(db: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, bin = BIN): Promise<ServerProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--db', db, '--port', '0', '--threads', '1', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => l as string),
    once(child, 'exit').then(([code]) => {
      throw new Error(`ruyi serve exited with ${code}: ${err}`);
    }),
  ]);
  const exited = once(child, 'exit');
  return {
    url: first.trim(),
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
  };
}

export interface Article {
  id: string;
  title: string;
  body: string;
  tags: string[];
  date?: string;
  source: string;
  n: number;
}

/** The shipped sample as Meilisearch documents: ids made valid (a-z 0-9 - _), a source and a number to filter and sort on. */
export function articles(): Article[] {
  return sampleDocs().map((d, n) => {
    const a: Article = {
      id: d.id.replace(/[^A-Za-z0-9_-]/g, '_'),
      title: d.title ?? '',
      body: String(d.body),
      tags: d.tags ?? [],
      source: d.id.split(':')[0] as string,
      n,
    };
    if (typeof d.date === 'string') a.date = d.date;
    return a;
  });
}

export const MASTER_KEY = 'test-master-key-0123456789abcdef';
