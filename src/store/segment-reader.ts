import { EngineError } from '../errors.js';
import { SEAL_BYTES, unseal } from './crc32c.js';
import { BLOCK_DOCS, type SegmentNorms } from './postings-codec.js';
import { type SegmentInfo, SegmentKey, type ShardDbs } from './shard-store.js';
import { ByteReader } from './varint.js';

const utf8 = new TextDecoder();

function sameBytes(buf: Uint8Array, at: number, term: Uint8Array): boolean {
  for (let i = 0; i < term.length; i++) if (buf[at + i] !== term[i]) return false;
  return true;
}

/**
 * Reads one immutable segment. The block index (first term of every block, a few KB per
 * MB of text) is loaded on first use and kept, as Lucene keeps its terms index: a lookup
 * is then a binary search in memory plus one LMDB read of a ~4 KB block.
 */
export class SegmentReader {
  private firstTerms: string[] | null = null;
  private cachedNorms: SegmentNorms | null = null;
  /**
   * 1 for each ~4 KB block whose checksum this reader has verified. A segment never changes,
   * so a block is checksummed on its first read only: checking every read cost ~0.5 ms of a
   * 1 ms query (a block per term, shard and segment). `ruyi verify` checks every value.
   */
  private readonly verifiedBlocks: Uint8Array;

  constructor(
    private readonly dbs: ShardDbs,
    readonly info: SegmentInfo,
  ) {
    this.verifiedBlocks = new Uint8Array(info.blocks);
  }

  /** Block b's data: checksummed on its first read by this reader (see verifiedBlocks). */
  private readBlock(b: number): Uint8Array | undefined {
    const key = [this.info.id, SegmentKey.Block, b];
    const raw = this.dbs.postings.getBinaryFast(key);
    if (raw === undefined) return undefined;
    if (this.verifiedBlocks[b] === 1 && raw.length >= SEAL_BYTES) return raw.subarray(0, raw.length - SEAL_BYTES);
    const data = unseal(raw, () => this.place(key));
    if (b < this.verifiedBlocks.length) this.verifiedBlocks[b] = 1;
    return data;
  }

  /** Where a key of this segment is, for error messages. */
  place(key: (string | number)[]): string {
    return `shard ${this.dbs.shard} segment ${this.info.id} key postings ${JSON.stringify(key)}`;
  }

  /** The data of the value under `key` of this segment (checksum verified), or undefined. */
  private read(key: (string | number)[], fast: boolean): Uint8Array | undefined {
    const raw = fast ? this.dbs.postings.getBinaryFast(key) : this.dbs.postings.getBinary(key);
    if (raw === undefined) return undefined;
    return unseal(raw, () => this.place(key));
  }

  /**
   * A large term's payload. One of more than BLOCK_DOCS postings checks itself block by
   * block (see postings-codec.ts) as it is decoded, so a query reading a few of its blocks
   * does not checksum the whole value; `ruyi verify` and merges check the value's seal too.
   */
  private readLarge(term: string): Uint8Array | null {
    const key = [this.info.id, SegmentKey.LargeTerm, term];
    const raw = this.dbs.postings.getBinaryFast(key);
    if (raw === undefined) return null;
    let n = 0;
    for (let i = 0, scale = 1; i < 5 && i < raw.length; i++, scale *= 0x80) {
      n += ((raw[i] as number) & 0x7f) * scale;
      if ((raw[i] as number) < 0x80) break;
    }
    if (n > BLOCK_DOCS && raw.length > SEAL_BYTES) return raw.subarray(0, raw.length - SEAL_BYTES);
    return unseal(raw, () => this.place(key));
  }

  /** Runs `decode` on data of this segment, naming the place (shard, segment, term) in a corruption error. */
  guard<T>(term: string, decode: () => T): T {
    try {
      return decode();
    } catch (err) {
      if (err instanceof EngineError && err.code === 'E_CORRUPT' && !err.message.startsWith('ruyi: shard ')) {
        throw new EngineError(
          'E_CORRUPT',
          `shard ${this.dbs.shard} segment ${this.info.id} term ${JSON.stringify(term)}: ${err.message.replace(/^ruyi: /, '')}`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
  }

  private blockIndex(): string[] {
    if (this.firstTerms === null) {
      const raw = this.read([this.info.id, SegmentKey.BlockIndex], false);
      const terms: string[] = [];
      if (raw) {
        const r = new ByteReader(raw);
        const count = r.uint();
        for (let i = 0; i < count; i++) terms.push(utf8.decode(r.bytes(r.uint())));
      }
      this.firstTerms = terms;
    }
    return this.firstTerms;
  }

  /** Field lengths of the segment's documents, loaded on first use (6 bytes a document). */
  norms(): SegmentNorms {
    if (this.cachedNorms === null) {
      const title = this.read([this.info.id, SegmentKey.TitleNorms], false);
      const body = this.read([this.info.id, SegmentKey.BodyNorms], false);
      if (!title || !body) throw new Error(`segment ${this.info.id}: norms are missing`);
      // Copied into fresh, aligned buffers: LMDB's bytes need not be 2- or 4-aligned.
      this.cachedNorms = {
        title: new Uint16Array(Uint8Array.from(title).buffer, 0, title.length >> 1),
        body: new Uint32Array(Uint8Array.from(body).buffer, 0, body.length >> 2),
      };
    }
    return this.cachedNorms;
  }

  /**
   * The payload of `term`, or null. The bytes may live in a buffer that the next LMDB read
   * overwrites: decode them before reading anything else.
   */
  payload(term: string, termBytes: Uint8Array): Uint8Array | null {
    const found = lastBlockAtOrBefore(this.blockIndex(), term);
    if (found < 0) return null;
    const block = this.readBlock(found);
    if (!block) return null;
    const r = new ByteReader(block);
    const count = r.uint();
    let payloadOffset = 0;
    let hitOffset = -1;
    let hitLength = 0;
    for (let i = 0; i < count; i++) {
      const len = r.uint();
      const at = r.pos;
      r.pos += len;
      const payloadLen = r.uint();
      if (hitOffset < 0 && len === termBytes.length && sameBytes(block, at, termBytes)) {
        if (payloadLen === 0) {
          return this.readLarge(term);
        }
        hitOffset = payloadOffset;
        hitLength = payloadLen;
      }
      payloadOffset += payloadLen;
    }
    if (hitOffset < 0) return null;
    const start = r.pos + hitOffset;
    return block.subarray(start, start + hitLength);
  }

  /**
   * Terms that start with `prefix` (not the prefix itself), with their posting counts, in
   * term order: at most `max` of them. Reads only the blocks whose range can hold them.
   */
  termsWithPrefix(prefix: string, max: number, into: Map<string, number>): void {
    const firsts = this.blockIndex();
    let b = Math.max(0, lastBlockAtOrBefore(firsts, prefix));
    let found = 0;
    for (; b < firsts.length && found < max; b++) {
      if (b > 0 && !(firsts[b] as string).startsWith(prefix) && (firsts[b] as string) > prefix) break;
      const block = this.readBlock(b);
      if (!block) break;
      const { heads, payloadsStart } = blockHeads(block);
      let at = payloadsStart;
      for (const { term, length } of heads) {
        const start = at;
        at += length;
        if (term <= prefix || !term.startsWith(prefix)) {
          if (term > prefix) return;
          continue;
        }
        // A large term's count is in its own key; a rough "large" is enough to rank it first.
        const n = length === 0 ? Number.MAX_SAFE_INTEGER / 4 : new ByteReader(block, start, start + length).uint();
        into.set(term, (into.get(term) ?? 0) + n);
        if (++found >= max) return;
      }
    }
  }

  /** How many leading blocks hold only terms <= `term` (every block before the one `term` would be in). */
  blocksBefore(term: string): number {
    return Math.max(0, lastBlockAtOrBefore(this.blockIndex(), term));
  }

  /**
   * Every (term, payload) in term order, after `after` when given (a merge resuming), one
   * block in memory at a time: the merge's input. Only the blocks from `after` on are read.
   */
  *entries(after: string | null = null): Generator<{ term: string; payload: Uint8Array }> {
    const start = after === null ? 0 : Math.max(0, lastBlockAtOrBefore(this.blockIndex(), after));
    for (let b = start; b < this.info.blocks; b++) {
      const block = this.read([this.info.id, SegmentKey.Block, b], false);
      if (!block) throw new Error(`segment ${this.info.id}: block ${b} is missing`);
      const { heads, payloadsStart } = blockHeads(block);
      let at = payloadsStart;
      for (const { term, length } of heads) {
        if (after !== null && term <= after) {
          at += length;
          continue;
        }
        if (length === 0) {
          const large = this.read([this.info.id, SegmentKey.LargeTerm, term], false);
          if (!large) throw new Error(`segment ${this.info.id}: large term ${JSON.stringify(term)} is missing`);
          yield { term, payload: large };
        } else {
          yield { term, payload: block.subarray(at, at + length) };
          at += length;
        }
      }
    }
  }
}

/**
 * Inside a write transaction: removes the blocks and large terms of a merge's source that
 * hold only terms <= `after` (what the merge has written), so their pages can be reused by
 * the merge's next steps. Only for a segment no reader can see (a generation being built).
 */
export function deleteConsumedKeys(dbs: ShardDbs, reader: SegmentReader, after: string): void {
  const id = reader.info.id;
  const blocks = reader.blocksBefore(after);
  for (const key of [...dbs.postings.getKeys({ start: [id, SegmentKey.Block, 0], end: [id, SegmentKey.Block, blocks] })]) {
    dbs.postings.removeSync(key);
  }
  // Compared as JavaScript strings (the merge's order), not by the keys' byte order.
  for (const key of [...dbs.postings.getKeys({ start: [id, SegmentKey.LargeTerm], end: [id, SegmentKey.TitleNorms] })]) {
    if ((key[2] as string) <= after) dbs.postings.removeSync(key);
  }
}

/**
 * Removes the keys of a segment, at most `maxKeys` of them (inside a write transaction);
 * returns how many it removed: fewer than maxKeys means the segment is gone.
 */
export function deleteSegmentKeys(dbs: ShardDbs, segId: number, maxKeys = Number.POSITIVE_INFINITY): number {
  // Collected first: removing under a live cursor is not something to rely on.
  const keys = [...dbs.postings.getKeys({ start: [segId], end: [segId + 1], ...(Number.isFinite(maxKeys) ? { limit: maxKeys } : {}) })];
  for (const key of keys) dbs.postings.removeSync(key);
  return keys.length;
}

/** The last block whose first term is <= key (where key would be), or -1 before the first. */
function lastBlockAtOrBefore(firsts: readonly string[], key: string): number {
  let lo = 0;
  let hi = firsts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((firsts[mid] as string) <= key) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** A block's terms and payload lengths (0: a large term, stored under its own key), and where the payloads start. */
function blockHeads(block: Uint8Array): { heads: { term: string; length: number }[]; payloadsStart: number } {
  const r = new ByteReader(block);
  const count = r.uint();
  const heads: { term: string; length: number }[] = [];
  for (let i = 0; i < count; i++) {
    const term = utf8.decode(r.bytes(r.uint()));
    heads.push({ term, length: r.uint() });
  }
  return { heads, payloadsStart: r.pos };
}
