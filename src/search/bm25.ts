/**
 * BM25F over two fields (Robertson & Zaragoza 2009): field frequencies are length-normalized
 * per field, weighted, summed, then saturated once. Pure functions of the statistics passed
 * in, which are summed over all shards, so a score never depends on a document's shard.
 */
export const K1 = 1.2;
export const TITLE_WEIGHT = 3;
export const BODY_WEIGHT = 1;
/** Titles are short and of similar length: normalize them less than bodies. */
export const B_TITLE = 0.5;
export const B_BODY = 0.75;

export interface CorpusStats {
  docs: number;
  avgTitleLen: number;
  avgBodyLen: number;
}

/** Robertson-Sparck Jones idf, kept positive as Lucene does. */
export function idf(docs: number, df: number): number {
  return Math.log(1 + (docs - df + 0.5) / (df + 0.5));
}

export function termScore(
  weight: number,
  stats: CorpusStats,
  tfTitle: number,
  tfBody: number,
  titleLen: number,
  bodyLen: number,
  titleWeight = TITLE_WEIGHT,
  bodyWeight = BODY_WEIGHT,
): number {
  let tf = 0;
  if (tfTitle > 0) tf += (titleWeight * tfTitle) / (1 - B_TITLE + (B_TITLE * titleLen) / (stats.avgTitleLen || 1));
  if (tfBody > 0) tf += (bodyWeight * tfBody) / (1 - B_BODY + (B_BODY * bodyLen) / (stats.avgBodyLen || 1));
  return tf === 0 ? 0 : (weight * tf * (K1 + 1)) / (tf + K1);
}
