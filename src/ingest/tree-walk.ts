import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { formatOfName } from './formats.js';
import type { InputFormat } from './types.js';

/** A file of a tree on its way to be read: its path, the path shown and its id. */
export interface TreeFile {
  path: string;
  shown: string;
  id: string;
  format: InputFormat;
  size: number;
}

/**
 * Walks a directory depth-first in sorted order (so ids and reports are the same on every
 * run), skipping dot-entries and node_modules. Symlinks to files inside the tree are read;
 * a symlink to a directory is not followed (no cycles, no double indexing), and one that
 * leads out of the tree is rejected. `formats` picks the files; others are ignored.
 */
export async function* walkTree(
  root: string,
  formats: readonly InputFormat[],
  signal?: AbortSignal,
): AsyncGenerator<TreeFile | { outside: string; shown: string }> {
  const realRoot = await realpath(root);
  const stack: string[] = [root];
  // Depth-first in sorted order: a directory's entries are pushed in reverse.
  while (stack.length > 0) {
    signal?.throwIfAborted();
    const dir = stack.pop() as string;
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        subdirs.push(path);
        continue;
      }
      const kind = formatOfName(entry.name);
      if (kind === null || !formats.includes(kind.format)) continue;
      const rel = relative(root, path);
      const shown = path;
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = await realpath(path);
        } catch {
          yield { outside: 'a broken symlink', shown };
          continue;
        }
        if (!target.startsWith(realRoot + sep)) {
          yield { outside: 'a symlink that leads out of the tree', shown };
          continue;
        }
        if (!(await stat(target)).isFile()) continue;
      } else if (!entry.isFile()) continue;
      const size = (await stat(path)).size;
      const id = rel
        .slice(0, rel.length - kind.ext.length)
        .split(sep)
        .join('/');
      yield { path, shown, id, format: kind.format, size };
    }
    // Files of a directory come before its subdirectories, each in name order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i] as string);
  }
}
