// Interim: NDJSON only, until the input formats land (the ingest branch replaces this file).
import { statSync } from 'node:fs';
import type { DocInput } from '../types.js';
import { type RejectedRecord, readNdjson } from './ndjson.js';

export type InputFormat = 'ndjson' | 'json' | 'csv' | 'markdown' | 'html' | 'txt';
export interface FieldMap {
  id?: string;
  title?: string;
  body?: string;
  tags?: string;
  date?: string;
}
export interface InputOptions {
  format?: InputFormat | 'auto';
  fields?: FieldMap;
  html?: boolean;
  maxDocBytes?: number;
  signal?: AbortSignal;
}
export type IngestItem =
  | { doc: DocInput; bodyUtf8: Uint8Array | null; file: string; line: number; bytes: number }
  | { rejected: RejectedRecord; bytes: number };

export async function* readInputs(inputs: readonly string[], options: InputOptions = {}): AsyncGenerator<IngestItem> {
  for (const file of inputs) {
    for await (const item of readNdjson(file)) {
      if (options.signal?.aborted) return;
      yield 'rejected' in item ? item : { ...item, file: file === '-' ? '<stdin>' : file };
    }
  }
}

export async function inputSize(inputs: readonly string[]): Promise<number | null> {
  let total = 0;
  for (const file of inputs) {
    if (file === '-') return null;
    total += statSync(file).size;
  }
  return total;
}
