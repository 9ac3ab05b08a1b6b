import type { InputFormat } from './types.js';

/** Extensions of each format; `.gz` may follow any of them. */
export const EXTENSIONS: Record<InputFormat, readonly string[]> = {
  ndjson: ['.ndjson', '.jsonl', '.ldjson'],
  json: ['.json'],
  csv: ['.csv', '.tsv'],
  markdown: ['.md', '.markdown'],
  html: ['.html', '.htm'],
  txt: ['.txt'],
};

/** The format and the extension (with .gz) of a file name, or null. */
export function formatOfName(name: string): { format: InputFormat; ext: string } | null {
  const lower = name.toLowerCase();
  const gz = lower.endsWith('.gz') ? '.gz' : '';
  const stem = gz ? lower.slice(0, -3) : lower;
  for (const [format, exts] of Object.entries(EXTENSIONS) as [InputFormat, readonly string[]][]) {
    for (const ext of exts) if (stem.endsWith(ext) && stem.length > ext.length) return { format, ext: ext + gz };
  }
  return null;
}
