/** The CLI's only writers: results to stdout, messages to stderr. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printError(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** `1 thread`, `2 threads`: a count for the summary lines. */
export function threadCount(threads: number): string {
  return threads === 1 ? '1 thread' : `${threads} threads`;
}

export function peakRssMb(): number {
  // maxRSS is in kilobytes and covers the whole process, worker threads included.
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}
