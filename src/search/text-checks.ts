import { type Candidates, emptyCandidates } from './ranking.js';

/** What is left of the candidates after the text checks. */
export interface Settled {
  candidates: Candidates;
  best: number[];
  /** Candidates dropped (not counted in the total any more). */
  failed: number;
  /** 1 for each candidate checked (and passed): the others are checked if they reach the page (see rankPage's `keep`). */
  checked: Uint8Array;
}

/**
 * The deferred text checks of a phrase (see ShardEvaluator's deferTextChecks), run on the
 * best `pick` returns (the rescoring window). A candidate that fails is dropped and the
 * window picked again, until every candidate in it has passed. The window is then what
 * checking every candidate first would have given: among equal ranks the first candidates
 * that pass, in the same order. Rescoring and title promotions only raise the window's
 * candidates, so a candidate outside it reaches the page only tied with the page's last:
 * rankPage, which resolves those ties, checks them (its `keep`).
 */
export function settleTextChecks(
  start: Candidates,
  pick: (c: Candidates) => number[],
  holds: (shard: number, doc: number) => boolean,
): Settled {
  let c = start;
  let checked: Uint8Array = new Uint8Array(c.count);
  let failed = 0;
  for (;;) {
    const best = pick(c);
    const drop = new Uint8Array(c.count);
    let dropped = 0;
    const check = (k: number): void => {
      if (checked[k] === 1) return;
      checked[k] = 1;
      if (!holds(c.shard[k] as number, c.doc[k] as number)) {
        drop[k] = 1;
        dropped++;
      }
    };
    for (const k of best) check(k);
    if (dropped === 0) return { candidates: c, best, failed, checked };
    failed += dropped;
    ({ c, checked } = without(c, checked, drop, dropped));
  }
}

/** The candidates without the dropped ones, in the same order (ties keep their order). */
function without(c: Candidates, checked: Uint8Array, drop: Uint8Array, dropped: number): { c: Candidates; checked: Uint8Array } {
  const out = emptyCandidates(c.count - dropped);
  const kept = new Uint8Array(out.shard.length);
  for (let k = 0; k < c.count; k++) {
    if (drop[k] === 1) continue;
    const j = out.count++;
    out.shard[j] = c.shard[k] as number;
    out.doc[j] = c.doc[k] as number;
    out.score[j] = c.score[k] as number;
    out.exact[j] = c.exact[k] as number;
    kept[j] = checked[k] as number;
  }
  return { c: out, checked: kept };
}

/**
 * rankPage's `keep` for the candidates settleTextChecks left unchecked (outside the window):
 * each is checked the first time the page asks about it, and a failure is counted so that
 * the total drops it.
 */
export class PageChecks {
  failed = 0;

  constructor(
    private readonly c: Candidates,
    /** From settleTextChecks: 1 checked and passed; set here to 2 for checked and failed. */
    private readonly checked: Uint8Array,
    private readonly holds: (shard: number, doc: number) => boolean,
  ) {}

  readonly keep = (k: number): boolean => {
    if (this.checked[k] === 0) {
      const passes = this.holds(this.c.shard[k] as number, this.c.doc[k] as number);
      this.checked[k] = passes ? 1 : 2;
      if (!passes) this.failed++;
    }
    return this.checked[k] === 1;
  };

  /** Whether every candidate has been checked: the total is then exact. */
  get allChecked(): boolean {
    return this.checked.indexOf(0) < 0;
  }
}
