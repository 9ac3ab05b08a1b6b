import { type DocSizeLimit, fitDocSize } from '../doc-size.js';
import { isEngineError } from '../errors.js';
import { parseJsonRecord } from '../ingest/json-record.js';
import type { RecordOptions } from '../ingest/record.js';
import { shardOf } from '../router.js';
import type { BatchOp, ParsedOp, RawRecordOptions, RawRejection } from '../types.js';

/** Rejections a batch reports by name; the rest are only counted. */
const MAX_REPORTED = 100;

export interface ParsedBatch {
  ops: ParsedOp[];
  rejected: RawRejection[];
  rejectedCount: number;
}

/**
 * Turns a batch's raw records (NDJSON lines the main thread only routed) into documents,
 * in the worker: JSON parsing, field mapping, validation and the size limit, with the same
 * rules and messages as the main thread's reader. A record that cannot be indexed is
 * reported by file, line and id, and the batch goes on. Other ops pass through in order.
 */
export function parseRawOps(
  ops: readonly BatchOp[],
  raw: Uint8Array | undefined,
  shard: number,
  shards: number,
  options: RawRecordOptions,
  stripHtml: ((html: string) => string) | undefined,
): ParsedBatch {
  const out: ParsedBatch = { ops: [], rejected: [], rejectedCount: 0 };
  const reject = (r: RawRejection): void => {
    out.rejectedCount++;
    if (out.rejected.length < MAX_REPORTED) out.rejected.push(r);
  };
  const record: RecordOptions = { fields: options.fields, html: options.html, stripHtml, numericIds: options.numericIds };
  const limit: DocSizeLimit = { maxDocBytes: options.maxDocBytes, reason: options.maxDocBytesReason, truncate: options.truncateLongDocs };
  for (const op of ops) {
    if (op.op !== 'raw') {
      out.ops.push(op);
      continue;
    }
    const { file, line } = op;
    if (raw === undefined || op.start === undefined || op.end === undefined) {
      reject({ file, line, id: op.id, reason: 'internal: a raw record arrived without its bytes' });
      continue;
    }
    const bytes = Buffer.from(raw.buffer, raw.byteOffset + op.start, op.end - op.start);
    const parsed = parseJsonRecord(bytes, file, line, record);
    if (parsed === null) continue;
    if ('rejected' in parsed) {
      reject(parsed.rejected);
      continue;
    }
    const { doc } = parsed;
    // The main thread routed by the id it read from the bytes; the parser must agree, or the
    // document would live in a shard that a later replace or remove never reaches.
    if (shardOf(doc.id, shards) !== shard || op.id !== doc.id) {
      reject({
        file,
        line,
        id: doc.id,
        reason: `internal: the id read for routing (${JSON.stringify(op.id)}) differs from the parsed one`,
      });
      continue;
    }
    try {
      const bodyUtf8 = fitDocSize(doc, parsed.bodyUtf8, limit, `${file}:${line}`);
      out.ops.push(bodyUtf8 === null ? { op: 'add', doc } : { op: 'add', doc, bodyUtf8 });
    } catch (err) {
      if (!isEngineError(err, 'E_INPUT')) throw err;
      reject({ file, line, id: doc.id, reason: err.detail ?? err.message });
    }
  }
  return out;
}
