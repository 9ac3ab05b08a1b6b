/**
 * The sources of a k-way merge ordered by their current term (JavaScript string order), ties
 * by source number: a binary min-heap, so that a term costs O(log k) comparisons instead of
 * a scan over every source (a bulk-loaded shard merges dozens of segments at once).
 */
export class HeadHeap {
  private readonly items: Int32Array;
  private readonly terms: string[];
  size = 0;

  constructor(sources: number) {
    this.items = new Int32Array(sources);
    this.terms = new Array<string>(sources).fill('');
  }

  private less(a: number, b: number): boolean {
    const ta = this.terms[a] as string;
    const tb = this.terms[b] as string;
    return ta < tb || (ta === tb && a < b);
  }

  /** Adds source `i` with its current term (each source is in the heap at most once). */
  push(i: number, term: string): void {
    this.terms[i] = term;
    const items = this.items;
    let at = this.size++;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.less(i, items[parent] as number)) break;
      items[at] = items[parent] as number;
      at = parent;
    }
    items[at] = i;
  }

  /** The smallest current term (the heap must not be empty). */
  minTerm(): string {
    return this.terms[this.items[0] as number] as string;
  }

  /** Removes and returns the source with the smallest term. */
  pop(): number {
    const items = this.items;
    const top = items[0] as number;
    const last = items[--this.size] as number;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && this.less(items[child + 1] as number, items[child] as number)) child++;
      if (!this.less(items[child] as number, last)) break;
      items[at] = items[child] as number;
      at = child;
    }
    if (this.size > 0) items[at] = last;
    return top;
  }
}
