export type { FailedDoc, WriteReport } from './batcher.js';
export {
  defaultMaxMemory,
  defaultThreads,
  type IndexOptions,
  type MemoryPlan,
  machineMemoryBytes,
  parseBytes,
  QUERY_ANALYZER_BYTES,
  threadsForBudget,
} from './config.js';
export { RuyiIndex } from './engine.js';
// Issue 15: a directory holding cluster.json is a SphinxQL cluster (README "Past one machine").
export { ClusterIndex, openCluster } from './cluster/cluster-index.js';
export type { ClusterSearchResult } from './cluster/cluster-search.js';
export { openIndex } from './cluster/open-any.js';
export { EngineError, type EngineErrorCode, isEngineError } from './errors.js';
export { Rebuild, type RebuildResult, rebuildIndex } from './rebuild.js';
export { MAX_QUERY_CHARS, MAX_QUERY_CLAUSES, MAX_QUERY_DEPTH, QuerySyntaxError } from './search/query-parser.js';
export type {
  DateRange,
  DateValue,
  Doc,
  IndexStats,
  ScorerInput,
  SearchHit,
  SearchOptions,
  SearchResult,
  StructuredQuery,
} from './types.js';
export type { Finding, Note, Problem, ShardReport, VerifyReport } from './verify/report.js';
export { type VerifyOptions, verifyIndex } from './verify/verify-index.js';
