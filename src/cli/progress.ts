import { createRequire } from 'node:module';
import type cliProgressTypes from 'cli-progress';

/** What a progress display is told as a run goes. */
export interface Progress {
  update(docs: number, bytes: number): void;
  stop(): void;
}

const silent: Progress = { update() {}, stop() {} };

function rssMb(): number {
  return Math.round(process.memoryUsage.rss() / 2 ** 20);
}

/**
 * A progress line on stderr when it is a terminal (never in --json, --quiet or a pipe):
 * documents, MB, rates, the current RSS, and an ETA when the input size is known.
 * Redrawn at most 5 times a second, so it costs nothing next to indexing.
 */
export function startProgress(totalBytes: number | null, enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return silent;
  // Loaded only for a terminal: ~7 MB of RSS that a piped or --json run does not need.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof cliProgressTypes;
  const known = totalBytes !== null && totalBytes > 0;
  const bar = new cliProgress.SingleBar(
    {
      format: known
        ? '{bar} {percentage}% | {docs} docs | {mb} MB | {dps} docs/s | {mbps} MB/s | ETA {eta_formatted} | RSS {rss} MB'
        : '{docs} docs | {mb} MB | {dps} docs/s | {mbps} MB/s | RSS {rss} MB',
      stream: process.stderr,
      fps: 5,
      etaBuffer: 50,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  const payload = (docs: number, bytes: number) => {
    const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
    return {
      docs,
      mb: (bytes / 1e6).toFixed(1),
      dps: Math.round(docs / seconds),
      mbps: (bytes / 1e6 / seconds).toFixed(2),
      rss: rssMb(),
    };
  };
  bar.start(known ? totalBytes : 1, 0, payload(0, 0));
  return {
    update(docs, bytes) {
      bar.update(known ? Math.min(bytes, totalBytes) : 0, payload(docs, bytes));
    },
    stop() {
      bar.stop();
    },
  };
}
