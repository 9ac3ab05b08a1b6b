import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** fsync a directory, so that a rename or a new file in it survives a power cut. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `file` atomically: the old content or the new one survives a crash, never a mix
 * (write a temp file, fsync it, rename over, fsync the directory).
 */
export function writeFileDurably(file: string, content: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  syncDir(dirname(file));
}

/** An append-only file whose every append is fsynced before it returns (the task log). */
export class DurableAppender {
  private readonly fd: number;

  constructor(file: string) {
    this.fd = openSync(file, 'a');
    syncDir(dirname(file));
  }

  append(line: string): void {
    writeSync(this.fd, line);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}
