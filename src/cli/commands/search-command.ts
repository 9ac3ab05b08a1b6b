import { isClusterDir } from '../../cluster/cluster-config.js';
import { openCluster } from '../../cluster/cluster-index.js';
import { openIndex } from '../../engine.js';
import { QuerySyntaxError } from '../../search/query-parser.js';
import type { SearchOptions } from '../../types.js';
import { EXIT } from '../exit-codes.js';
import { printError, printJson, printLine } from '../output.js';

export interface SearchCommandOptions {
  db: string;
  limit: number;
  offset: number;
  tag?: string[];
  plain?: boolean;
  strictSyntax?: boolean;
  prefix?: boolean;
  sort?: 'score' | 'date' | 'date-asc';
  count?: boolean;
  timeout?: number;
  snippets?: boolean;
  json?: boolean;
}

/** The query with a caret under the character where parsing failed. */
function pointAt(query: string, position: number): string {
  // Wide (CJK, full-width) characters take two columns in a terminal.
  const width = [...query.slice(0, position)].reduce(
    (w, ch) => w + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1),
    0,
  );
  return `  ${query.replace(/[\r\n\t]/g, ' ')}\n  ${' '.repeat(width)}^`;
}

/** `ruyi search <query>`: ranked hits from an existing index. */
export async function searchCommand(query: string, o: SearchCommandOptions): Promise<number> {
  // Milliseconds since the process started (performance's time origin): the wall time a caller waits.
  const openedAt = performance.now();
  // Issue 15: a cluster directory (cluster.json) is searched through its nodes.
  const index = isClusterDir(o.db) ? await openCluster(o.db, { threads: 1 }) : await openIndex(o.db, { create: false, threads: 1 });
  const openMs = performance.now() - openedAt;
  try {
    const options: SearchOptions = {
      limit: o.limit,
      offset: o.offset,
      ...(o.tag ? { tags: o.tag } : {}),
      ...(o.plain ? { syntax: 'plain' as const } : o.strictSyntax ? { syntax: 'strict' as const } : {}),
      ...(o.prefix ? { prefix: true } : {}),
      ...(o.sort ? { sort: o.sort } : {}),
      ...(o.count ? { countOnly: true } : {}),
      ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}),
      // HTML for --json (a web page shows it); brackets and plain text for a terminal.
      ...(o.snippets ? { snippets: o.json ? true : { markers: ['【', '】'] as const, escapeHtml: false } } : {}),
    };
    let result: ReturnType<typeof index.search> & { missingShards?: { shard: string; errors: string[] }[] };
    try {
      result = index.search(query, options);
    } catch (err) {
      if (!(err instanceof QuerySyntaxError)) throw err;
      if (o.json) printJson({ error: { code: err.code, position: err.position, message: err.detail } });
      else printError(`${err.message}\n${query.length <= 200 ? pointAt(query, err.position) : ''}`.trimEnd());
      return EXIT.query;
    }
    const wallMs = performance.now();
    const misread = result.syntaxError;
    if (misread !== undefined && !o.json) {
      const what = result.syntax === 'plain' && !o.plain ? 'not valid query syntax, searched as plain words' : 'cut to the limits';
      const caret = query.length <= 200 ? `\n${pointAt(query, misread.position)}` : '';
      printError(`note: ${what}: character ${misread.position + 1}: ${misread.message}${caret}`);
    }
    if (o.json) {
      printJson({
        total: result.total,
        totalExact: result.totalExact,
        tookMs: Math.round(result.tookMs * 1000) / 1000,
        partial: result.partial,
        relaxed: result.relaxed,
        syntax: result.syntax,
        ...(misread === undefined ? {} : { syntaxError: misread }),
        wallMs: Math.round(wallMs * 10) / 10,
        openMs: Math.round(openMs * 10) / 10,
        ...(result.missingShards?.length ? { missingShards: result.missingShards } : {}),
        hits: result.hits.map((h) => ({
          id: h.id,
          score: Math.round(h.score * 1e4) / 1e4,
          title: h.title,
          tags: h.tags,
          date: h.date,
          ...(h.snippet === undefined ? {} : { snippet: h.snippet }),
        })),
      });
    } else if (o.count) {
      printLine(String(result.total));
    } else {
      const notes = [
        result.partial
          ? result.missingShards?.length
            ? `partial: shards ${result.missingShards.map((m) => m.shard).join(', ')} missing (no replica answered)`
            : 'partial: timed out'
          : '',
        result.relaxed ? 'no document has every word; showing those with some' : '',
      ]
        .filter(Boolean)
        .join('; ');
      // A phrase's candidates beyond the page are not all checked: at most this many (see totalExact).
      const count = result.totalExact ? `${result.total}` : `at most ${result.total}`;
      const noun = result.total === 1 && result.totalExact ? 'result' : 'results';
      printLine(`${count} ${noun} (${result.tookMs.toFixed(2)} ms)${notes ? ` — ${notes}` : ''}`);
      result.hits.forEach((h, i) => {
        printLine(`${String(o.offset + i + 1).padStart(3)}. ${h.title || '(no title)'}`);
        const date = h.date === null ? '' : `  ${typeof h.date === 'number' ? new Date(h.date).toISOString().slice(0, 10) : h.date}`;
        printLine(`     ${h.id}  score ${h.score.toFixed(3)}${date}${h.tags.length ? `  [${h.tags.join(', ')}]` : ''}`);
        if (h.snippet !== undefined) printLine(`     ${h.snippet.replace(/\s+/g, ' ')}`);
      });
    }
    if (!o.json)
      printError(
        `wall ${wallMs.toFixed(0)} ms from process start to results (open ${openMs.toFixed(0)} ms, search ${result.tookMs.toFixed(1)} ms)`,
      );
  } finally {
    await index.close();
  }
  return EXIT.ok;
}
