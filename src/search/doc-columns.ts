import { normalizeText } from '../analysis/normalize.js';
import type { HitRecord, ShardDbs } from '../store/shard-store.js';
import { storedDateMs } from './date-range.js';
import type { ShardView } from './shard-reader.js';

/**
 * Per-shard columns by docNum, built on the first query that needs them (a date filter or
 * sort, recency, a query of exclusions only, or a title substring match) from the shard's
 * `hits` records, then kept up to date incrementally: docNums are never reused, so only new
 * ones are read, and the deleted list turns removed ones off. 17 bytes a document (a date
 * as ms, a live flag, where its title key starts and ends) plus the title keys themselves,
 * concatenated into one string (see titleKey): about 2 bytes per title character.
 */
export class DocColumns {
  date = new Float64Array(0);
  live = new Uint8Array(0);
  private titleStart = new Int32Array(0);
  private titleEnd = new Int32Array(0);
  /** Title keys in docNum order, each followed by a separator no key contains. */
  private titleText = '';
  private scanned = 0;
  private liveCount = 0;
  private version = -1;

  constructor(private readonly dbs: ShardDbs) {}

  refresh(view: ShardView): void {
    if (view.version === this.version) return;
    this.fit(view.state.nextDoc);
    if (this.scanned < view.state.nextDoc) {
      this.readHits(this.scanned);
      this.scanned = view.state.nextDoc;
    }
    for (const n of view.dead) this.unset(n);
    // A removal merged away between two refreshes never showed in `dead`: read everything again.
    if (this.liveCount !== view.state.docs) {
      this.live.fill(0);
      this.date.fill(Number.NaN);
      this.titleStart.fill(0);
      this.titleEnd.fill(0);
      this.titleText = '';
      this.liveCount = 0;
      this.readHits(0);
    }
    this.version = view.version;
  }

  private readHits(from: number): void {
    const pieces: string[] = [this.titleText];
    let length = this.titleText.length;
    let next = from;
    for (const { key: n, value } of this.dbs.hits.getRange({ start: from })) {
      if (n >= this.live.length) this.fit(n + 1);
      // docNums without a record (removed before this read) get an empty title at this offset.
      for (; next < n; next++) this.titleStart[next] = this.titleEnd[next] = length;
      const hit = value as HitRecord;
      if (this.live[n] === 0) this.liveCount++;
      this.live[n] = 1;
      this.date[n] = storedDateMs(hit[3]);
      const key = titleKey(hit[1]);
      this.titleStart[n] = length;
      this.titleEnd[n] = length + key.length;
      pieces.push(key, '\u0000');
      length += key.length + 1;
      next = n + 1;
    }
    for (; next < this.titleStart.length; next++) this.titleStart[next] = this.titleEnd[next] = length;
    this.titleText = pieces.join('');
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
    const start = new Int32Array(size).fill(this.titleText.length);
    start.set(this.titleStart);
    const end = new Int32Array(size).fill(this.titleText.length);
    end.set(this.titleEnd);
    this.live = live;
    this.date = date;
    this.titleStart = start;
    this.titleEnd = end;
  }

  /** The title key of a docNum. */
  title(n: number): string {
    return this.titleText.slice(this.titleStart[n] ?? 0, this.titleEnd[n] ?? 0);
  }

  /** Live docNums whose title key contains `needle`, ascending: one indexOf pass over all titles. */
  titlesContaining(needle: string): Int32Array {
    const out: number[] = [];
    const starts = this.titleStart;
    const count = Math.min(this.scanned, starts.length);
    let at = this.titleText.indexOf(needle);
    while (at >= 0) {
      // The last docNum whose title starts at or before `at` (starts never decrease).
      let lo = 0;
      let hi = count - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] as number) <= at) lo = mid;
        else hi = mid - 1;
      }
      if (this.live[lo] === 1 && at + needle.length <= (this.titleEnd[lo] as number)) out.push(lo);
      at = this.titleText.indexOf(needle, Math.max(at + 1, (this.titleEnd[lo] as number) + 1));
    }
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
  const normalized = normalizeText(text);
  let out = '';
  let from = 0;
  // Most characters are Han or ASCII letters and digits: test only the others with the regex.
  for (let i = 0; i < normalized.length; i++) {
    const c = normalized.charCodeAt(i);
    const keep =
      (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x80 && isLetterOrDigit(normalized, i));
    if (!keep) {
      out += normalized.slice(from, i);
      from = i + 1;
    }
  }
  return from === 0 ? normalized : out + normalized.slice(from);
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}\p{M}]/u;
function isLetterOrDigit(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  // Surrogate halves are kept together: a supplementary Han character is a letter.
  if (c >= 0xd800 && c <= 0xdfff) return true;
  return LETTER_OR_DIGIT.test(text[i] as string);
}
