import { mulberry32 } from '../prng.js';
/**
 * The deterministic workload of the crash trials: which documents each step adds (and at
 * which version) and which it removes. The writer child and the checking parent compute the
 * same plan from the same seed, so the parent knows every acknowledged state exactly.
 */

export const POOL = 120;

/** Chinese sentences the documents are made of (from the shipped sample's man pages and poems). */
const SENTENCES = [
  '列出目录内容，默认按字母顺序排序。',
  '显示文件系统的磁盘空间使用情况。',
  '床前明月光，疑是地上霜。',
  '举头望明月，低头思故乡。',
  '内存溢出时进程会被内核终止。',
  '倒排索引把词映射到包含它的文档。',
  '结巴分词支持精确模式和搜索引擎模式。',
  '春眠不觉晓，处处闻啼鸟。',
];

export interface StepPlan {
  adds: { id: string; version: string }[];
  removes: string[];
}

export function docId(i: number): string {
  return `doc-${String(i).padStart(3, '0')}`;
}

/** Step k (from 1) of a run: ~25 adds and ~6 removes over disjoint ids of the pool. */
export function step(seed: number, k: number): StepPlan {
  const rand = mulberry32(seed * 100_003 + k);
  const ids = Array.from({ length: POOL }, (_, i) => i).sort(() => rand() - 0.5);
  return {
    adds: ids.slice(0, 25).map((i) => ({ id: docId(i), version: `${seed}.${k}` })),
    removes: ids.slice(25, 31).map(docId),
  };
}

/** A document's full content at a version: a reader can tell its version and check it is whole. */
export function makeDoc(id: string, version: string): { id: string; title: string; body: string; tags: string[] } {
  const n = Number(id.slice(4)) + version.length;
  const body = Array.from({ length: 40 }, (_, j) => SENTENCES[(n + j) % SENTENCES.length]).join('');
  return { id, title: `文章${id} 版本${version}`, body: `版本${version}。${body}结束${version}`, tags: ['crash'] };
}

export function versionOf(title: string): string | null {
  return /版本([\d.R]+)$/.exec(title)?.[1] ?? null;
}

/** id -> version, absent ids are not in the map. */
export type State = Map<string, string>;

export function apply(state: State, plan: StepPlan): State {
  const next = new Map(state);
  for (const a of plan.adds) next.set(a.id, a.version);
  for (const r of plan.removes) next.delete(r);
  return next;
}
