import { openIndex } from '../../engine.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

export interface SearchCommandOptions {
  db: string;
  limit: number;
  offset: number;
  tag?: string[];
  json?: boolean;
}

/** `ruyi search <query>`: ranked hits from an existing index. */
export async function searchCommand(query: string, o: SearchCommandOptions): Promise<number> {
  const index = await openIndex(o.db, { create: false, threads: 1 });
  try {
    const result = index.search(query, { limit: o.limit, offset: o.offset, ...(o.tag ? { tags: o.tag } : {}) });
    if (o.json) {
      printJson({
        total: result.total,
        tookMs: Math.round(result.tookMs * 1000) / 1000,
        hits: result.hits.map((h) => ({ id: h.id, score: Math.round(h.score * 1e4) / 1e4, title: h.title, tags: h.tags, date: h.date })),
      });
    } else {
      printLine(`${result.total} results (${result.tookMs.toFixed(2)} ms)`);
      result.hits.forEach((h, i) => {
        printLine(`${String(o.offset + i + 1).padStart(3)}. ${h.title || '(no title)'}`);
        printLine(`     ${h.id}  score ${h.score.toFixed(3)}${h.tags.length ? `  [${h.tags.join(', ')}]` : ''}`);
      });
    }
  } finally {
    await index.close();
  }
  return EXIT.ok;
}
