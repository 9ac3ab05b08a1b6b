/** Which part of the index a finding is about. */
export type CheckName =
  | 'meta' // ruyi.json and the shard directories
  | 'shard' // a shard's environment and its named databases
  | 'state' // the shard's state record: counters, segment list, deleted list
  | 'segment' // a segment's keys, block index and norms
  | 'block' // a block of terms and the large-term keys it points to
  | 'postings' // one term's postings
  | 'doc' // the docs database (id -> stored fields)
  | 'hit' // the hits database (docNum -> result fields)
  | 'body' // the bodies database
  | 'stats' // stored counts and length sums against what was recomputed
  | 'router' // a document in a shard its id does not hash to
  | 'analysis'; // --deep: re-analyzed text against the stored postings and lengths

/**
 * One thing found, placed as precisely as the check can: shard, segment, block, LMDB key,
 * term, docNum, document id. Fields that do not apply are absent.
 */
export interface Finding {
  check: CheckName;
  shard?: number;
  segment?: number;
  block?: number;
  /** The LMDB database and key, e.g. `postings [3,0,12]`. */
  key?: string;
  term?: string;
  doc?: number;
  id?: string;
  message: string;
}

/** Something a reader would get wrong or that ruyi's writers never leave behind. */
export type Problem = Finding;
/** Legal but worth knowing: keys a crash left that the next write removes, empty shards. */
export type Note = Finding;

export interface ShardReport {
  shard: number;
  /** False when the shard's directory does not exist (a shard no document was ever routed to). */
  exists: boolean;
  /** The state's `version`, bumped by every commit; null when unreadable. */
  version: number | null;
  /** Live documents found: hits rows whose docs row agrees. */
  docs: number;
  segments: number;
  /** DocNums on the deleted list. */
  deleted: number;
  terms: number;
  postings: number;
  bodyChunks: number;
  problems: number;
  notes: number;
}

export interface VerifyReport {
  /** True when no problem was found (notes do not count). */
  ok: boolean;
  dir: string;
  /** Live documents over all shards, as counted. */
  docs: number;
  shards: ShardReport[];
  /** The first MAX_FINDINGS problems; `problemCount` has them all. */
  problems: Problem[];
  notes: Note[];
  problemCount: number;
  noteCount: number;
  deep: boolean;
  /** --deep: documents re-analyzed and compared. */
  analyzedDocs: number;
  ms: number;
}

export interface VerifyProgress {
  shard: number;
  shards: number;
  stage: 'open' | 'documents' | 'segments' | 'bodies' | 'analysis' | 'done';
  segment?: number;
}

/** A corrupt index can yield one finding per posting: only this many are kept, all are counted. */
export const MAX_FINDINGS = 1000;

/** Collects findings with a bound on what is kept, and counts per shard. */
export class Findings {
  readonly problems: Problem[] = [];
  readonly notes: Note[] = [];
  problemCount = 0;
  noteCount = 0;
  private readonly perShard = new Map<number, { problems: number; notes: number }>();

  problem(f: Problem): void {
    this.problemCount++;
    this.count(f.shard).problems++;
    if (this.problems.length < MAX_FINDINGS) this.problems.push(f);
  }

  note(f: Note): void {
    this.noteCount++;
    this.count(f.shard).notes++;
    if (this.notes.length < MAX_FINDINGS) this.notes.push(f);
  }

  of(shard: number): { problems: number; notes: number } {
    return this.count(shard);
  }

  private count(shard: number | undefined): { problems: number; notes: number } {
    const key = shard ?? -1;
    let c = this.perShard.get(key);
    if (c === undefined) {
      c = { problems: 0, notes: 0 };
      this.perShard.set(key, c);
    }
    return c;
  }
}

/** `shard 2 segment 5 block 3 postings [5,0,3] term "内存" doc 17 (id "a"): message`, for people. */
export function formatFinding(f: Finding): string {
  const where: string[] = [];
  if (f.shard !== undefined) where.push(`shard ${f.shard}`);
  if (f.segment !== undefined) where.push(`segment ${f.segment}`);
  if (f.block !== undefined) where.push(`block ${f.block}`);
  if (f.key !== undefined) where.push(f.key);
  if (f.term !== undefined) where.push(`term ${JSON.stringify(f.term)}`);
  if (f.doc !== undefined) where.push(`doc ${f.doc}`);
  if (f.id !== undefined) where.push(`id ${JSON.stringify(f.id)}`);
  return `[${f.check}] ${where.length > 0 ? `${where.join(' ')}: ` : ''}${f.message}`;
}

/** An LMDB key as it appears in findings: the database name, then the key as JSON. */
export function keyName(db: string, key: unknown): string {
  return `${db} ${JSON.stringify(key)}`;
}
