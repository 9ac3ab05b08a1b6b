import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * A long task on the main thread (an upload's thousands of documents parsed, mapped and
 * queued) gives the event loop back every few milliseconds, so that searches arriving
 * meanwhile wait at most one slice, not the whole 64 KB read chunk or a run of awaits that
 * resolve at once (microtasks never let a request in).
 */
export class TimeSlices {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = 4) {}

  /** Resolves at once inside a slice; past it, after the requests waiting have had their turn. */
  async pause(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await nextTurn();
    this.sliceStart = performance.now();
  }
}
