import { normalizeText } from '../analysis/normalize.js';
import type { HitRecord, ShardDbs } from '../store/shard-store.js';
import { storedDateMs } from './date-range.js';
import type { ShardView } from './shard-reader.js';

/**
 * Per-shard columns by docNum, built on the first query that needs them (a date filter or
 * sort, recency, or a query of exclusions only) from the shard's `hits` records, then kept
 * up to date incrementally: docNums are never reused, so only new ones are read, and the
 * deleted list turns removed ones off. 9 bytes a document (a date as ms, a live flag), plus
 * each title's letters and digits (normalized) for the title substring match of short words.
 */
export class DocColumns {
  date = new Float64Array(0);
  live = new Uint8Array(0);
  /** Normalized titles without spaces and punctuation, by docNum (see titleKey). */
  titles: string[] = [];
  private scanned = 0;
  private liveCount = 0;
  private version = -1;

  constructor(private readonly dbs: ShardDbs) {}

  refresh(view: ShardView): void {
    if (view.version === this.version) return;
    this.fit(view.state.nextDoc);
    if (this.scanned < view.state.nextDoc) {
      for (const { key, value } of this.dbs.hits.getRange({ start: this.scanned })) this.set(key, value);
      this.scanned = view.state.nextDoc;
    }
    for (const n of view.dead) this.unset(n);
    // A removal merged away between two refreshes never showed in `dead`: read everything again.
    if (this.liveCount !== view.state.docs) {
      this.live.fill(0);
      this.date.fill(Number.NaN);
      this.liveCount = 0;
      this.titles = [];
      for (const { key, value } of this.dbs.hits.getRange({ start: 0 })) this.set(key, value);
    }
    this.version = view.version;
  }

  private set(n: number, hit: HitRecord): void {
    if (n >= this.live.length) this.fit(n + 1);
    if (this.live[n] === 0) this.liveCount++;
    this.live[n] = 1;
    this.date[n] = storedDateMs(hit[3]);
    this.titles[n] = titleKey(hit[1]);
  }

  private unset(n: number): void {
    if (n < this.live.length && this.live[n] === 1) {
      this.live[n] = 0;
      this.liveCount--;
    }
  }

  private fit(docs: number): void {
    if (this.live.length >= docs) return;
    const size = Math.max(docs, this.live.length * 2, 1024);
    const live = new Uint8Array(size);
    live.set(this.live);
    const date = new Float64Array(size).fill(Number.NaN);
    date.set(this.date);
    this.live = live;
    this.date = date;
  }

  /** Live docNums whose title key contains `needle`, ascending. */
  titlesContaining(needle: string): Int32Array {
    const out: number[] = [];
    for (let n = 0; n < this.scanned; n++) if (this.live[n] === 1 && this.titles[n]?.includes(needle)) out.push(n);
    return Int32Array.from(out);
  }

  /** Every live docNum, ascending. */
  allLive(): Int32Array {
    const out = new Int32Array(this.liveCount);
    let k = 0;
    for (let n = 0; n < this.scanned && k < out.length; n++) if (this.live[n] === 1) out[k++] = n;
    return out.subarray(0, k);
  }
}

/** A title as letters and digits only, normalized as the analyzer does: what a title substring match compares. */
export function titleKey(text: string): string {
  return normalizeText(text).replace(/[^\p{L}\p{N}]+/gu, '');
}
