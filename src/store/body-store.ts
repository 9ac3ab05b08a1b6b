import type { BoundedWriter } from './bounded-writer.js';
import type { ShardDbs } from './shard-store.js';

/** Bodies are stored as UTF-8 in values of at most this size: a huge article is never one value. */
export const BODY_CHUNK_BYTES = 1024 * 1024;

const utf8 = new TextDecoder();

/** Queues a document's body as chunks [docNum, i]. */
export function writeBody(writer: BoundedWriter, dbs: ShardDbs, docNum: number, body: string | Uint8Array): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let chunk = 0;
  for (let at = 0; at < bytes.length || chunk === 0; at += BODY_CHUNK_BYTES) {
    const piece = bytes.subarray(at, at + BODY_CHUNK_BYTES);
    writer.put(dbs.bodies, [docNum, chunk++], Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
  }
}

export function readBody(dbs: ShardDbs, docNum: number): string {
  const parts: Buffer[] = [];
  for (const { value } of dbs.bodies.getRange({ start: [docNum, 0], end: [docNum + 1, 0] })) parts.push(value);
  return utf8.decode(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts));
}

/** Inside a write transaction: removes every chunk of a body. */
export function deleteBody(dbs: ShardDbs, docNum: number): void {
  const keys = [...dbs.bodies.getKeys({ start: [docNum, 0], end: [docNum + 1, 0] })];
  for (const key of keys) dbs.bodies.removeSync(key);
}

/** Inside a write transaction: removes bodies of docNums >= `from`, left by a batch cut short. */
export function deleteBodiesFrom(dbs: ShardDbs, from: number): void {
  const keys = [...dbs.bodies.getKeys({ start: [from, 0] })];
  for (const key of keys) dbs.bodies.removeSync(key);
}
