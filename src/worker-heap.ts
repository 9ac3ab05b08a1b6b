import { getHeapStatistics } from 'node:v8';

/** A worker's V8 heap as it stood after a batch, bytes. */
export interface WorkerHeap {
  /** Live objects (after the last collection, plus what was allocated since). */
  usedBytes: number;
  /** What the heap has reserved from the system: what RSS sees of it. */
  committedBytes: number;
  /** The old generation's limit plus the young generation (V8's heap_size_limit). */
  limitBytes: number;
}

export function heapNow(): WorkerHeap {
  const h = getHeapStatistics();
  return { usedBytes: h.used_heap_size, committedBytes: h.total_heap_size, limitBytes: h.heap_size_limit };
}

/** The larger of two measurements, field by field: a flush reports each worker's peak. */
export function heapPeak(a: WorkerHeap | undefined, b: WorkerHeap | undefined): WorkerHeap | undefined {
  if (a === undefined || b === undefined) return a ?? b;
  return {
    usedBytes: Math.max(a.usedBytes, b.usedBytes),
    committedBytes: Math.max(a.committedBytes, b.committedBytes),
    limitBytes: Math.max(a.limitBytes, b.limitBytes),
  };
}
