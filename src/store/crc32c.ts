import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { EngineError } from '../errors.js';

/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI, ext4 and
 * LevelDB. crc32c("123456789") = 0xE3069283. On the main thread, long ranges go to
 * @node-rs/crc32, which uses the CPU's CRC32 instruction (~5.6 GB/s here): searches check
 * every stored body and postings block they read. The rest is computed here slicing-by-8:
 * eight 256-entry tables, eight bytes a step (~1.2 GB/s in V8 here): short ranges, where a
 * native call costs more than the bytes; worker threads, which seal what they write (loaded
 * in two indexing workers, the addon's allocator added ~5 MB to the peak RSS the memory
 * budget holds); and any platform without its binary.
 */
type Native = (bytes: Uint8Array) => number;
/** Loaded on the first long range (undefined until then, null where it cannot be). */
let native: Native | null | undefined = isMainThread ? undefined : null;

function loadNative(): Native | null {
  try {
    return (createRequire(import.meta.url)('@node-rs/crc32') as typeof import('@node-rs/crc32')).crc32c;
  } catch {
    return null;
  }
}

/** @node-rs/crc32's crc32c on this thread, loaded on first use; null where it is not used. */
function nativeCrc(): Native | null {
  native ??= loadNative();
  return native;
}

/** Whether long ranges on this thread are checksummed by @node-rs/crc32. */
export function crc32cNative(): boolean {
  return nativeCrc() !== null;
}
/** Ranges from this many bytes go to the native code (measured: it wins from ~256 bytes, a view costs ~0.1 µs more). */
const NATIVE_MIN_BYTES = 1024;

const TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n] as number;
    for (let k = 1; k < 8; k++) {
      c = (t[c & 0xff] as number) ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/** The CRC32C of bytes[start, end), as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const fast = end - start >= NATIVE_MIN_BYTES ? nativeCrc() : null;
  if (fast !== null) return fast(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end)) >>> 0;
  return crc32cTables(bytes, start, end);
}

/** crc32c computed slicing-by-8. */
function crc32cTables(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLES;
  let c = ~0;
  let i = start;
  for (const stop = end - 7; i < stop; i += 8) {
    const lo =
      c ^ ((bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24));
    const hi =
      (bytes[i + 4] as number) | ((bytes[i + 5] as number) << 8) | ((bytes[i + 6] as number) << 16) | ((bytes[i + 7] as number) << 24);
    c =
      (t[1792 + (lo & 0xff)] as number) ^
      (t[1536 + ((lo >>> 8) & 0xff)] as number) ^
      (t[1280 + ((lo >>> 16) & 0xff)] as number) ^
      (t[1024 + (lo >>> 24)] as number) ^
      (t[768 + (hi & 0xff)] as number) ^
      (t[512 + ((hi >>> 8) & 0xff)] as number) ^
      (t[256 + ((hi >>> 16) & 0xff)] as number) ^
      (t[hi >>> 24] as number);
  }
  for (; i < end; i++) c = (t[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** Bytes of the checksum that ends every sealed value. */
export const SEAL_BYTES = 4;

/** Writes the CRC32C of out[0, end) little-endian at out[end, end + 4): `out` must have room. */
export function sealAt(out: Uint8Array, end: number): void {
  const crc = crc32c(out, 0, end);
  out[end] = crc & 0xff;
  out[end + 1] = (crc >>> 8) & 0xff;
  out[end + 2] = (crc >>> 16) & 0xff;
  out[end + 3] = crc >>> 24;
}

/** A new Buffer holding `data` followed by its CRC32C. */
export function sealed(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length + SEAL_BYTES);
  out.set(data, 0);
  sealAt(out, data.length);
  return out;
}

/** The checksum stored at the end of a sealed value, or -1 when it is too short to hold one. */
export function storedChecksum(value: Uint8Array): number {
  const n = value.length;
  if (n < SEAL_BYTES) return -1;
  return (
    ((value[n - 4] as number) | ((value[n - 3] as number) << 8) | ((value[n - 2] as number) << 16) | ((value[n - 1] as number) << 24)) >>> 0
  );
}

/** Why a sealed value fails its check, or null when it is whole. */
export function sealFault(value: Uint8Array): string | null {
  const stored = storedChecksum(value);
  if (stored < 0) return `value of ${value.length} bytes is too short to hold its checksum`;
  const computed = crc32c(value, 0, value.length - SEAL_BYTES);
  if (computed === stored) return null;
  return `checksum mismatch: stored CRC32C ${hex(stored)}, the bytes give ${hex(computed)}`;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * The data of a sealed value (a view without the checksum), or an E_CORRUPT error naming
 * `where` (shard, segment, key) when a byte of it changed since it was written.
 */
export function unseal(value: Uint8Array, where: () => string): Uint8Array {
  const fault = sealFault(value);
  if (fault !== null) throw new EngineError('E_CORRUPT', `${where()}: ${fault}; run ruyi verify, then rebuild the index`);
  return value.subarray(0, value.length - SEAL_BYTES);
}
