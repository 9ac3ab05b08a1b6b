/**
 * The k best of the indexes 0..count-1 under `better`, in heap order, with a binary
 * min-heap of size k: O(n log k) time and O(k) memory instead of sorting every candidate.
 */
export function topKIndexes(count: number, k: number, better: (a: number, b: number) => boolean): number[] {
  const heap: number[] = [];
  if (k <= 0) return heap;
  const down = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && better(heap[m] as number, heap[l] as number)) m = l;
      if (r < heap.length && better(heap[m] as number, heap[r] as number)) m = r;
      if (m === i) return;
      const t = heap[i] as number;
      heap[i] = heap[m] as number;
      heap[m] = t;
      i = m;
    }
  };
  for (let item = 0; item < count; item++) {
    if (heap.length < k) {
      heap.push(item);
      let i = heap.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!better(heap[parent] as number, heap[i] as number)) break;
        const t = heap[i] as number;
        heap[i] = heap[parent] as number;
        heap[parent] = t;
        i = parent;
      }
    } else if (better(item, heap[0] as number)) {
      heap[0] = item;
      down(0);
    }
  }
  return heap;
}
