/**
 * What block-max can skip on an index: how many postings blocks a query of one word must
 * read, and how many of a conjunction's matches a block-max or MaxScore evaluation would
 * still have to score, with the bounds the skip entries store and with the best bounds any
 * block-level scheme could store (each block's true maximum score). The limit of skipping,
 * measured on real query sets, decides whether a new bound or a conjunction evaluator is
 * worth its index change.
 *
 *   node --import tsx scripts/bench-blockmax.ts <index dir> <cases.json>
 *
 * cases.json is what `npm run bench:search -- --keep DIR` writes beside each index.
 * Conjunctions are judged against the final 50th-best score (the most a dynamic threshold
 * could ever reach), so the fractions printed are lower bounds of what must be scored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Analyzer } from '../src/analysis/analyzer.js';
import { type CorpusStats, idf, termScore } from '../src/search/bm25.js';
// The rescoring window of a query of several words, and the candidates a one-word query needs (title checks).
import { corpusStats, RESCORE_WINDOW, TITLE_CHECK } from '../src/search/searcher.js';
import { ShardReader, type ShardView } from '../src/search/shard-reader.js';
import { readCurrent } from '../src/store/generations.js';
import { openMeta } from '../src/store/index-meta.js';
import { BLOCK_DOCS, decodeBlockInto, SkipTable } from '../src/store/postings-codec.js';
import { openShardDbs } from '../src/store/shard-store.js';

interface Block {
  /** The bound the skip entry gives (Infinity for a one-block list: it stores none). */
  stored: number;
  /** The block's true maximum. */
  ideal: number;
  /** Whether it may hold a title equal to a one-word query (ranked above any score). */
  exact: boolean;
  scores: Float64Array;
  exactDocs: Uint8Array;
  /** shard * 2^31 + docNum of each posting. */
  keys: Float64Array;
}

const [db, casesFile] = process.argv.slice(2);
if (db === undefined || casesFile === undefined) {
  console.error('usage: bench-blockmax <index dir> <cases.json>');
  process.exit(2);
}
const current = readCurrent(db);
if (current === null) throw new Error(`${db}: no live generation`);
const dir = join(db, current);
const meta = openMeta(dir, undefined, 4, false);
const readers = Array.from({ length: meta.shards }, (_, s) => new ShardReader(openShardDbs(dir, s)));
const views = readers.map((r) => r.current());
const analyzer = Analyzer.load(meta.analysis);
const stats: CorpusStats = corpusStats(views, views.length);
const encoder = new TextEncoder();
const docs = new Int32Array(BLOCK_DOCS);
const tfTitle = new Int32Array(BLOCK_DOCS);
const tfBody = new Int32Array(BLOCK_DOCS);

/** Every block of `term` in every shard, decoded, with its stored and ideal bounds. */
function blocksOf(term: string): Block[] {
  const bytes = encoder.encode(term);
  let df = 0;
  readers.forEach((r, s) => {
    df += r.liveCount(views[s] as ShardView, term, bytes);
  });
  if (df === 0) return [];
  const weight = idf(stats.docs, df);
  const out: Block[] = [];
  readers.forEach((reader, s) => {
    const view = views[s] as ShardView;
    reader.payloadCopies(view, term, bytes).forEach((payload, g) => {
      if (payload === null) return;
      const segment = view.segments[g];
      if (segment === undefined) return;
      const first = segment.info.first;
      const norms = segment.norms();
      const skip = new SkipTable().read(payload, first);
      for (let b = 0; b < skip.blocks; b++) {
        const n = decodeBlockInto(payload, skip, b, first, docs, tfTitle, tfBody);
        const block: Block = {
          stored: Number.POSITIVE_INFINITY,
          ideal: 0,
          exact: false,
          scores: new Float64Array(n),
          exactDocs: new Uint8Array(n),
          keys: new Float64Array(n),
        };
        const maxTfT = skip.maxTfTitle[b] as number;
        if (maxTfT >= 0) {
          block.stored = termScore(
            weight,
            stats,
            maxTfT,
            skip.maxTfBody[b] as number,
            skip.minTitleLen[b] as number,
            skip.minBodyLen[b] as number,
          );
        }
        for (let i = 0; i < n; i++) {
          const d = docs[i] as number;
          const titleLen = norms.title[d - first] as number;
          const score = termScore(weight, stats, tfTitle[i] as number, tfBody[i] as number, titleLen, norms.body[d - first] as number);
          block.scores[i] = score;
          block.keys[i] = s * 2 ** 31 + d;
          block.exactDocs[i] = (tfTitle[i] as number) > 0 && titleLen === 1 ? 1 : 0;
          if (block.exactDocs[i] === 1) block.exact = true;
          if (score > block.ideal) block.ideal = score;
        }
        // A one-block list stores no bound, and so no exact-title flag: it is always read.
        if (maxTfT < 0) block.exact = true;
        out.push(block);
      }
    });
  });
  return out;
}

/** Blocks a one-word query reads (term-top.ts): best bound first, until the next bound is below the `window`-th best. */
function blocksRead(blocks: Block[], bound: 'stored' | 'ideal', window: number): number {
  const order = [...blocks].sort((a, b) => (a.exact !== b.exact ? (a.exact ? -1 : 1) : b[bound] - a[bound]));
  // The window's (level, score) pairs, worst first.
  const best: [number, number][] = [];
  const admits = (level: number, score: number): boolean => {
    const root = best.length < window ? undefined : best[0];
    return root === undefined || level > root[0] || (level === root[0] && score >= root[1]);
  };
  let read = 0;
  for (const block of order) {
    if (!admits(block.exact ? 2 : 0, block[bound])) break;
    read++;
    block.scores.forEach((score, i) => {
      const level = block.exactDocs[i] === 1 ? 2 : 0;
      if (!admits(level, score)) return;
      best.push([level, score]);
      best.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      if (best.length > window) best.shift();
    });
  }
  return read;
}

/** A conjunction's matches, and those whose summed block bounds reach the final `window`-th best score. */
function conjunction(terms: Block[][], bound: 'stored' | 'ideal'): { matches: number; toScore: number } {
  const perTerm = terms.map((blocks) => {
    const byKey = new Map<number, { score: number; bound: number }>();
    for (const block of blocks) {
      block.keys.forEach((key, i) => {
        byKey.set(key, { score: block.scores[i] as number, bound: block[bound] });
      });
    }
    return byKey;
  });
  perTerm.sort((a, b) => a.size - b.size);
  const [driver, ...others] = perTerm;
  const matches: { score: number; bound: number }[] = [];
  for (const [key, first] of driver ?? []) {
    let score = first.score;
    let sum = first.bound;
    let all = true;
    for (const other of others) {
      const hit = other.get(key);
      if (hit === undefined) {
        all = false;
        break;
      }
      score += hit.score;
      sum += hit.bound;
    }
    if (all) matches.push({ score, bound: sum });
  }
  const scores = matches.map((m) => m.score).sort((a, b) => b - a);
  const threshold = scores.length >= RESCORE_WINDOW ? (scores[RESCORE_WINDOW - 1] as number) : Number.NEGATIVE_INFINITY;
  return { matches: matches.length, toScore: matches.filter((m) => m.bound >= threshold).length };
}

/** The words of a plain query, one per position (sub-words are alternatives, not more required words). */
function wordsOf(query: string): string[] {
  const seen = new Set<number>();
  const words: string[] = [];
  for (const { term, position } of analyzer.analyzeQuery(query)) {
    if (seen.has(position)) continue;
    seen.add(position);
    if (!words.includes(term)) words.push(term);
  }
  return words;
}

const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as Record<string, { query: string }[]>;
const distinct = (type: string): string[] => [...new Set((cases[type] ?? []).map((c) => c.query))];
const pct = (part: number, whole: number): string => `${((100 * part) / Math.max(1, whole)).toFixed(1)}%`;

const oneWord = { blocks: 0, stored20: 0, ideal20: 0, stored50: 0, ideal50: 0 };
for (const query of distinct('plain 1 word')) {
  const words = wordsOf(query);
  if (words.length !== 1) continue;
  const blocks = blocksOf(words[0] as string);
  oneWord.blocks += blocks.length;
  oneWord.stored20 += blocksRead(blocks, 'stored', TITLE_CHECK);
  oneWord.ideal20 += blocksRead(blocks, 'ideal', TITLE_CHECK);
  oneWord.stored50 += blocksRead(blocks, 'stored', RESCORE_WINDOW);
  oneWord.ideal50 += blocksRead(blocks, 'ideal', RESCORE_WINDOW);
}
console.log(`${db}: one word, blocks read of ${oneWord.blocks}:`);
console.log(
  `  window ${TITLE_CHECK}: stored bounds ${pct(oneWord.stored20, oneWord.blocks)}, ideal bounds ${pct(oneWord.ideal20, oneWord.blocks)}`,
);
console.log(
  `  window ${RESCORE_WINDOW}: stored bounds ${pct(oneWord.stored50, oneWord.blocks)}, ideal bounds ${pct(oneWord.ideal50, oneWord.blocks)}`,
);
for (const type of ['plain 2 words', 'plain 3 words']) {
  const totals = { queries: 0, matches: 0, stored: 0, ideal: 0 };
  for (const query of distinct(type)) {
    const terms = wordsOf(query).map(blocksOf);
    if (terms.length < 2 || terms.some((blocks) => blocks.length === 0)) continue;
    const stored = conjunction(terms, 'stored');
    totals.queries++;
    totals.matches += stored.matches;
    totals.stored += stored.toScore;
    totals.ideal += conjunction(terms, 'ideal').toScore;
  }
  console.log(
    `${type} (${totals.queries} queries, ${totals.matches} matches): to score with stored bounds ${pct(totals.stored, totals.matches)}, with ideal bounds ${pct(totals.ideal, totals.matches)}`,
  );
}
for (const r of readers) void r.dbs.env.close();
