/**
 * Per-index analysis choices, fixed when the index is created and recorded in ruyi.json:
 * documents and queries must go through the same analysis, so writers and the query side
 * read them from there.
 */
export interface AnalysisOptions {
  /** Index the pinyin and initials of Han words (内存 → neicun, nc). */
  pinyin: boolean;
  /** Convert traditional Chinese to simplified before segmentation (記憶體, 內存 → 内存). */
  traditional: boolean;
}

export const DEFAULT_ANALYSIS: AnalysisOptions = { pinyin: false, traditional: false };

/** Bump when the pinyin terms for the same word change (syllable spelling, prefixes, bounds). */
export const PINYIN_ANALYSIS_VERSION = 1;
/** Bump when the traditional → simplified conversion changes (dictionaries, run rule). */
export const TRADITIONAL_ANALYSIS_VERSION = 1;

/**
 * What the options add to the base analyzer (ANALYZER_VERSION), as recorded in ruyi.json:
 * 'base' when both are off, so indexes made before these options still open.
 */
export function analysisFingerprint(options: AnalysisOptions): string {
  const parts: string[] = [];
  if (options.pinyin) parts.push(`pinyin.${PINYIN_ANALYSIS_VERSION}`);
  if (options.traditional) parts.push(`traditional.${TRADITIONAL_ANALYSIS_VERSION}`);
  return parts.length === 0 ? 'base' : parts.join('+');
}

export function resolveAnalysis(options: Partial<AnalysisOptions> | undefined): AnalysisOptions {
  return { pinyin: options?.pinyin === true, traditional: options?.traditional === true };
}

/**
 * V8 heap a worker needs on top of its limit for the options' dictionaries and caches,
 * MiB: pinyin-pro holds ~8 MB of heap plus ~2.5 MB of cached readings, OpenCC's tries ~2 MB.
 * Measured: with both options a 32 MB worker heap ran out of memory merging the dev corpus.
 */
export function analysisHeapMb(options: AnalysisOptions): number {
  return (options.pinyin ? 16 : 0) + (options.traditional ? 4 : 0);
}
