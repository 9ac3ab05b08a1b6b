import { Analyzer } from '../analysis/analyzer.js';
import type { AnalysisOptions } from '../analysis/analysis-options.js';
import type { DocInput } from '../types.js';
import { type DocRow, docRow } from './doc-rows.js';

/** A batch of documents to turn into rows (see doc-rows.ts), sized by the main thread in bytes. */
export interface AnalyzeTask {
  docs: DocInput[];
  analysis: AnalysisOptions;
  truncate: boolean;
  /** The writing run's mark (see ClusterWriter.sweep). */
  loadId: number;
}

export interface AnalyzeResult {
  rows: DocRow[];
  /** Documents that cannot be stored, by their index in the task. */
  rejected: { at: number; reason: string }[];
}

let analyzer: Analyzer | null = null;
let loadedFor = '';

/** Piscina task: jieba runs here, in the pool, as for a local index; the main thread only sends rows. */
export function analyzeDocs(task: AnalyzeTask): AnalyzeResult {
  const key = `${task.analysis.pinyin}/${task.analysis.traditional}`;
  if (analyzer === null || loadedFor !== key) {
    analyzer = Analyzer.load(task.analysis);
    loadedFor = key;
  }
  const rows: DocRow[] = [];
  const rejected: AnalyzeResult['rejected'] = [];
  task.docs.forEach((doc, at) => {
    try {
      rows.push(docRow(analyzer as Analyzer, doc, task.truncate, task.loadId));
    } catch (err) {
      rejected.push({ at, reason: (err as Error).message });
    }
  });
  return { rows, rejected };
}
