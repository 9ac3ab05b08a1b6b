import { createReadStream, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { CACHE_DIR, devCorpus } from './corpus-cache.js';
import { mulberry32 } from './prng.js';

/**
 * A harder known-item set than the titles of make-queries.py: what a reader remembers of
 * an article. Half the queries are 2-4 consecutive words of a title (not the whole title),
 * half a distinctive clause of the body (8-30 characters, with Han text, found in no other
 * document). Fixed seed, so every engine and every run gets the same queries.
 * Writes `query<TAB>expected_id` lines, like queries-dev.tsv.
 */

interface Row {
  id: string;
  title: string;
  body: string;
}

const HAN = /\p{Script=Han}/u;
const WORD = /[\p{L}\p{N}]/u;

function titleChunk(jieba: Jieba, title: string, rand: () => number): string | null {
  const words = jieba.cut(title, false).filter((w) => WORD.test(w));
  if (words.length < 3) return null;
  const size = Math.min(words.length - 1, 2 + Math.floor(rand() * 3));
  const start = Math.floor(rand() * (words.length - size + 1));
  const chunk = words.slice(start, start + size).join(' ');
  return HAN.test(chunk) ? chunk : null;
}

function clauses(body: string): string[] {
  return body
    .split(/[。！？；\n!?;]/u)
    .map((c) => c.trim().replace(/\s+/g, ' '))
    .filter((c) => c.length >= 8 && c.length <= 30 && HAN.test(c));
}

export async function readRows(file: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() === '') continue;
    const d = JSON.parse(line) as Row;
    rows.push({ id: d.id, title: d.title ?? '', body: d.body });
  }
  return rows;
}

export async function makeHardQueries(corpus: string, out: string, n = 200, seed = 7): Promise<void> {
  const rows = await readRows(corpus);
  const jieba = Jieba.withDict(dict);
  const rand = mulberry32(seed);
  const lines: string[] = [];
  const used = new Set<string>();
  let attempts = 0;
  while (lines.length < n && attempts < n * 50) {
    attempts++;
    const row = rows[Math.floor(rand() * rows.length)] as Row;
    if (used.has(row.id)) continue;
    let query: string | null = null;
    if (lines.length % 2 === 0) query = titleChunk(jieba, row.title, rand);
    else {
      const candidates = clauses(row.body);
      if (candidates.length > 0) {
        const clause = candidates[Math.floor(rand() * candidates.length)] as string;
        // Distinctive: no other document contains it; else it has no single right answer.
        if (rows.every((r) => r === row || !r.body.includes(clause))) query = clause;
      }
    }
    if (query === null) continue;
    used.add(row.id);
    lines.push(`${query.replace(/\t/g, ' ')}\t${row.id}`);
  }
  writeFileSync(out, `${lines.join('\n')}\n`);
  console.error(`${out}: ${lines.length} queries (title chunks and body clauses) from ${rows.length} docs`);
}

export async function hardQueries(): Promise<string> {
  const file = join(CACHE_DIR, 'queries-hard.tsv');
  if (!existsSync(file)) await makeHardQueries(devCorpus(), file);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await hardQueries());
}
