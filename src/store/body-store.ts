import type { BoundedWriter } from './bounded-writer.js';
import { sealed, unseal } from './crc32c.js';
import type { ShardDbs } from './shard-store.js';

/** Bodies are stored as UTF-8 in values of at most this size: a huge article is never one value. */
export const BODY_CHUNK_BYTES = 1024 * 1024;

const utf8 = new TextDecoder();

/** Queues a document's body as chunks [docNum, i], each followed by its CRC32C. */
export function writeBody(writer: BoundedWriter, dbs: ShardDbs, docNum: number, body: string | Uint8Array): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let chunk = 0;
  for (let at = 0; at < bytes.length || chunk === 0; at += BODY_CHUNK_BYTES) {
    const piece = bytes.subarray(at, at + BODY_CHUNK_BYTES);
    writer.put(dbs.bodies, [docNum, chunk++], sealed(piece));
  }
}

/** The UTF-8 bytes of chunk `chunk` of a stored body (checksum verified), or undefined past the last. */
export function readBodyChunk(dbs: ShardDbs, docNum: number, chunk: number): Uint8Array | undefined {
  const value = dbs.bodies.get([docNum, chunk]);
  if (value === undefined) return undefined;
  return unseal(value, () => `shard ${dbs.shard} body of doc ${docNum} key bodies ${JSON.stringify([docNum, chunk])}`);
}

export function readBody(dbs: ShardDbs, docNum: number): string {
  const parts: Uint8Array[] = [];
  for (const { key, value } of dbs.bodies.getRange({ start: [docNum, 0], end: [docNum + 1, 0] })) {
    parts.push(unseal(value, () => `shard ${dbs.shard} body of doc ${docNum} key bodies ${JSON.stringify(key)}`));
  }
  return utf8.decode(parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts));
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
