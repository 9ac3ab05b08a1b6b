import { createHash } from 'node:crypto';

/**
 * Sphinx documents have a 64-bit unsigned id; ruyi ids are strings. The id is the first 63
 * bits of the MD5 of the ruyi id (never 0), as a decimal string: ids cross mysql2 as strings
 * (supportBigNumbers), never as lossy doubles. Two ids sharing 63 bits (odds ~n²/2^64) would
 * overwrite each other; the ruyi id is stored beside (attribute `rid`) and returned from there.
 */
export function sphinxId(id: string): string {
  const digest = createHash('md5').update(id, 'utf8').digest();
  const n = digest.readBigUInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
  return (n === 0n ? 1n : n).toString();
}

/** A digest of a document's content (48 bits, a safe integer): what `cluster check` compares between replicas. */
export function contentVersion(parts: readonly unknown[]): number {
  const digest = createHash('md5').update(JSON.stringify(parts), 'utf8').digest();
  return digest.readUIntBE(0, 6);
}

/** Ids are put into SQL only as checked decimal digits: everything else travels as a bound value. */
export function idLiteral(id: string): string {
  if (!/^[1-9][0-9]{0,19}$/.test(id)) throw new Error(`not a Sphinx document id: ${JSON.stringify(id)}`);
  return id;
}
