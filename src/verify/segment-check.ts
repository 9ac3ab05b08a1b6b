import { MAX_TERM_CHARS } from '../analysis/analyzer.js';
import { TAG_PREFIX } from '../indexing/postings-buffer.js';
import { SEAL_BYTES, sealFault } from '../store/crc32c.js';
import type { SegmentNorms } from '../store/postings-codec.js';
import { type SegmentInfo, SegmentKey } from '../store/shard-store.js';
import { ByteReader } from '../store/varint.js';
import { PayloadWalker } from './payload-check.js';
import { type Findings, keyName, type Problem } from './report.js';
import type { ShardSnapshot } from './shard-snapshot.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** What the document pass learned about a segment's docNums, indexed by docNum - first. */
export interface SegmentDocs {
  /** 1 for a live document. */
  live: Uint8Array;
  /** Distinct tag terms each live document should have postings under. */
  expectedTags: Uint16Array;
  dead: ReadonlySet<number>;
}

/** Per sampled docNum (--deep): term -> title and body frequencies and positions. */
export type RecordedTerms = Map<number, Map<string, { tfTitle: number; tfBody: number; positions: number[] }>>;

export interface SegmentTally {
  terms: number;
  postings: number;
}

/**
 * The data of a sealed postings value (checksum verified), undefined when the key is
 * missing, or null when its checksum fails: that is reported as a problem at `where`, and
 * nothing inside the value is trusted further.
 */
function readSealed(
  snap: ShardSnapshot,
  key: (string | number)[],
  where: Omit<Problem, 'message'>,
  findings: Findings,
): Uint8Array | undefined | null {
  const value = snap.binary(snap.postings, key);
  if (value === undefined) return undefined;
  const fault = sealFault(value);
  if (fault === null) return value.subarray(0, value.length - SEAL_BYTES);
  findings.problem({ ...where, key: keyName('postings', key), message: `${fault}: the value changed after it was written` });
  return null;
}

/** Reads and checks a segment's norms: u16 title and u32 body lengths, one per docNum of its range. */
export function readSegmentNorms(snap: ShardSnapshot, shard: number, seg: SegmentInfo, findings: Findings): SegmentNorms | null {
  const span = seg.last - seg.first + 1;
  const at = { check: 'segment' as const, shard, segment: seg.id };
  const title = readSealed(snap, [seg.id, SegmentKey.TitleNorms], at, findings);
  const body = readSealed(snap, [seg.id, SegmentKey.BodyNorms], at, findings);
  let ok = title !== null && body !== null;
  for (const [name, value, kind, width] of [
    ['title', title, SegmentKey.TitleNorms, 2],
    ['body', body, SegmentKey.BodyNorms, 4],
  ] as const) {
    const key = keyName('postings', [seg.id, kind]);
    if (value === null) continue;
    if (value === undefined) {
      findings.problem({
        check: 'segment',
        shard,
        segment: seg.id,
        key,
        message: `${name} norms are missing: every search of this shard fails`,
      });
      ok = false;
    } else if (value.length !== span * width) {
      findings.problem({
        check: 'segment',
        shard,
        segment: seg.id,
        key,
        message: `${name} norms are ${value.length} bytes, expected ${span * width} (${span} docNums x ${width})`,
      });
      ok = false;
    }
  }
  if (!ok || !title || !body) return null;
  return { title: new Uint16Array(Uint8Array.from(title).buffer), body: new Uint32Array(Uint8Array.from(body).buffer) };
}

/**
 * Walks every block, large term and posting of one segment, one block in memory at a time,
 * checking: the block index against the blocks, terms in strictly ascending order across
 * blocks, payload lengths, every posting's docNum (live or on the deleted list), its
 * frequencies and positions against the norms, tag postings against the stored tags, and
 * the segment's byte count. Keys the segment does not reference are notes.
 */
export function checkSegmentPostings(
  snap: ShardSnapshot,
  shard: number,
  seg: SegmentInfo,
  norms: SegmentNorms,
  docs: SegmentDocs,
  findings: Findings,
  record: RecordedTerms | null,
): SegmentTally {
  const at = { check: 'block' as const, shard, segment: seg.id };
  const tally: SegmentTally = { terms: 0, postings: 0 };
  const indexTerms = readBlockIndex(snap, shard, seg, findings);
  const span = seg.last - seg.first + 1;
  const tagPostings = new Uint16Array(span);
  const unknownDocs = new Map<number, { count: number; term: string }>();
  const walker = new PayloadWalker();
  let lastTerm: string | null = null;
  let bytes = 0;
  let largeRefs = 0;
  // After a block or tag payload fails to decode, per-document tag counts only echo that fault.
  let tagsUnreliable = false;

  for (let b = 0; b < seg.blocks; b++) {
    const key = keyName('postings', [seg.id, SegmentKey.Block, b]);
    const block = readSealed(snap, [seg.id, SegmentKey.Block, b], { ...at, block: b }, findings);
    if (block === null) {
      tagsUnreliable = true;
      continue;
    }
    if (block === undefined) {
      findings.problem({ ...at, block: b, key, message: `block is missing (the segment has ${seg.blocks}): its terms cannot be found` });
      tagsUnreliable = true;
      continue;
    }
    const heads = readBlockHeads(block);
    if (typeof heads === 'string') {
      findings.problem({ ...at, block: b, key, message: heads });
      tagsUnreliable = true;
      continue;
    }
    if (indexTerms !== null && indexTerms[b] !== heads.terms[0]?.term) {
      findings.problem({
        ...at,
        block: b,
        key,
        message: `block index says the block starts with ${JSON.stringify(indexTerms[b])}, the block starts with ${JSON.stringify(heads.terms[0]?.term)}`,
      });
    }
    let offset = heads.payloadStart;
    for (const { term, length } of heads.terms) {
      const where = { ...at, block: b, key, term };
      if (lastTerm !== null && !(term > lastTerm)) {
        findings.problem({
          ...where,
          message: `term is not after the previous term ${JSON.stringify(lastTerm)}: lookups by binary search miss terms`,
        });
      }
      lastTerm = term;
      tally.terms++;
      const isTag = term.startsWith(TAG_PREFIX);
      if (term === '' || (!isTag && term.length > MAX_TERM_CHARS)) {
        findings.problem({ ...where, message: `term of ${term.length} characters cannot come from the analyzer (1 to ${MAX_TERM_CHARS})` });
      }
      let payload: Uint8Array;
      let payloadKey = key;
      if (length === 0) {
        largeRefs++;
        payloadKey = keyName('postings', [seg.id, SegmentKey.LargeTerm, term]);
        const large = readSealed(snap, [seg.id, SegmentKey.LargeTerm, term], where, findings);
        if (large === null) {
          tagsUnreliable ||= isTag;
          continue;
        }
        if (large === undefined) {
          findings.problem({ ...where, key: payloadKey, message: 'large-term key is missing: the term has no postings' });
          tagsUnreliable ||= isTag;
          continue;
        }
        payload = large;
      } else {
        payload = block.subarray(offset, offset + length);
        offset += length;
      }
      bytes += payload.length;
      let badPosition: string | null = null;
      const fault = walker.walk(
        payload,
        seg.first,
        seg.last,
        (doc, tfTitle, tfBody, positions) => {
          tally.postings++;
          const i = doc - seg.first;
          if (docs.live[i] !== 1 && !docs.dead.has(doc)) {
            const u = unknownDocs.get(doc);
            if (u === undefined) unknownDocs.set(doc, { count: 1, term });
            else u.count++;
          }
          if (isTag) {
            if (tfTitle + tfBody > 0) badPosition ??= `tag posting of doc ${doc} has ${tfTitle + tfBody} positions (tags have none)`;
            if (docs.live[i] === 1) tagPostings[i] = Math.min(0xffff, (tagPostings[i] as number) + 1);
          } else {
            if (tfTitle + tfBody === 0) badPosition ??= `posting of doc ${doc} has no occurrences`;
            badPosition ??= positionFault(doc, tfTitle, tfTitle + tfBody, positions, norms.title[i] as number, norms.body[i] as number);
          }
          const terms = record?.get(doc);
          if (terms !== undefined) terms.set(term, { tfTitle, tfBody, positions: Array.from(positions.subarray(0, tfTitle + tfBody)) });
        },
        norms,
      );
      if (fault !== null) {
        findings.problem({ ...where, key: payloadKey, message: `postings do not decode: ${fault}` });
        tagsUnreliable ||= isTag;
      }
      if (badPosition !== null) findings.problem({ ...where, key: payloadKey, message: badPosition });
    }
    if (offset !== block.length) {
      findings.problem({ ...at, block: b, key, message: `payload lengths add up to ${offset} bytes, the block has ${block.length}` });
    }
  }

  for (const [doc, { count, term }] of unknownDocs) {
    findings.problem({
      check: 'postings',
      shard,
      segment: seg.id,
      doc,
      term,
      message: `${count} posting(s) (the first under this term) point to a docNum that is neither a live document nor on the deleted list: searches count it and show nothing`,
    });
  }
  for (let i = 0; i < span; i++) {
    if (!tagsUnreliable && docs.live[i] === 1 && tagPostings[i] !== docs.expectedTags[i]) {
      const doc = seg.first + i;
      findings.problem({
        check: 'postings',
        shard,
        segment: seg.id,
        doc,
        id: snap.hits.get(doc, snap.at)?.[0] ?? '',
        message: `found under ${tagPostings[i]} tag term(s), its stored tags make ${docs.expectedTags[i]}: a tag filter would miss it or find it wrongly`,
      });
    }
  }
  if (bytes !== seg.bytes) {
    findings.problem({
      check: 'stats',
      shard,
      segment: seg.id,
      message: `the state says ${seg.bytes} postings bytes, the payloads hold ${bytes}`,
    });
  }
  checkSegmentKeys(snap, shard, seg, indexTerms, largeRefs, findings);
  return tally;
}

/** The first problem with one posting's positions, given its document's norms. */
function positionFault(
  doc: number,
  tfTitle: number,
  count: number,
  positions: Int32Array,
  titleLen: number,
  bodyLen: number,
): string | null {
  // A title longer than the u16 norm is stored clamped: its bounds are unknown here.
  const exact = titleLen < 0xffff;
  const bodyStart = titleLen + 1;
  let prev = -1;
  for (let k = 0; k < count; k++) {
    const p = positions[k] as number;
    if (p < prev) return `positions of doc ${doc} descend (${prev} then ${p})`;
    prev = p;
    if (k < tfTitle) {
      if (exact && p >= titleLen) return `title position ${p} of doc ${doc} is not below its title length ${titleLen}`;
    } else if (exact && (p < bodyStart || p >= bodyStart + bodyLen)) {
      return `body position ${p} of doc ${doc} is outside its body positions ${bodyStart}..${bodyStart + bodyLen - 1}`;
    }
  }
  return null;
}

/** The first term of every block, or null (a problem is reported) when the index is unusable. */
function readBlockIndex(snap: ShardSnapshot, shard: number, seg: SegmentInfo, findings: Findings): string[] | null {
  const key = keyName('postings', [seg.id, SegmentKey.BlockIndex]);
  const at = { check: 'segment' as const, shard, segment: seg.id, key };
  const raw = readSealed(snap, [seg.id, SegmentKey.BlockIndex], at, findings);
  if (raw === null) return null;
  if (raw === undefined) {
    findings.problem({ ...at, message: 'block index is missing: no term of this segment can be found' });
    return null;
  }
  try {
    const r = new ByteReader(raw);
    const count = r.uint();
    if (count !== seg.blocks) {
      findings.problem({ ...at, message: `block index lists ${count} blocks, the state says ${seg.blocks}` });
      if (count > raw.length) return null;
    }
    const terms: string[] = [];
    for (let i = 0; i < count; i++) terms.push(strictUtf8.decode(r.bytes(r.uint())));
    if (!r.done) findings.problem({ ...at, message: `${raw.length - r.pos} bytes follow the block index's last term` });
    return terms;
  } catch (err) {
    findings.problem({ ...at, message: `block index does not decode: ${(err as Error).message}` });
    return null;
  }
}

interface BlockHeads {
  terms: { term: string; length: number }[];
  payloadStart: number;
}

/** A block's terms and payload lengths, or what is wrong with them. */
function readBlockHeads(block: Uint8Array): BlockHeads | string {
  try {
    const r = new ByteReader(block);
    const count = r.uint();
    if (count === 0) return 'block holds no terms';
    // A term takes at least two bytes (its length and its payload length).
    if (count * 2 > block.length) return `block claims ${count} terms in ${block.length} bytes`;
    const terms: { term: string; length: number }[] = [];
    for (let i = 0; i < count; i++) {
      const bytes = r.bytes(r.uint());
      let term: string;
      try {
        term = strictUtf8.decode(bytes);
      } catch {
        return `term ${i} of ${count} is not valid UTF-8`;
      }
      terms.push({ term, length: r.uint() });
    }
    return { terms, payloadStart: r.pos };
  } catch (err) {
    return `block header does not decode: ${(err as Error).message}`;
  }
}

/** Notes keys under a live segment that nothing references (never read, but never reclaimed either). */
function checkSegmentKeys(
  snap: ShardSnapshot,
  shard: number,
  seg: SegmentInfo,
  indexTerms: string[] | null,
  largeRefs: number,
  findings: Findings,
): void {
  const why = 'unreferenced (a crash during a merge, then optimize reusing the segment id, can leave it; never read)';
  for (const key of snap.postings.getKeys({
    start: [seg.id, SegmentKey.Block, seg.blocks],
    end: [seg.id, SegmentKey.BlockIndex],
    ...snap.at,
  })) {
    findings.note({
      check: 'segment',
      shard,
      segment: seg.id,
      key: keyName('postings', key),
      message: `block beyond the segment's ${seg.blocks} is ${why}`,
    });
  }
  let largeKeys = 0;
  for (const _ of snap.postings.getKeys({ start: [seg.id, SegmentKey.LargeTerm], end: [seg.id, SegmentKey.TitleNorms], ...snap.at }))
    largeKeys++;
  if (largeKeys > largeRefs && indexTerms !== null) {
    for (const key of snap.postings.getKeys({ start: [seg.id, SegmentKey.LargeTerm], end: [seg.id, SegmentKey.TitleNorms], ...snap.at })) {
      const term = key[2];
      if (typeof term !== 'string' || !blockReferencesLarge(snap, seg, indexTerms, term)) {
        findings.note({ check: 'segment', shard, segment: seg.id, key: keyName('postings', key), message: `large-term key is ${why}` });
      }
    }
  }
  for (const key of snap.postings.getKeys({ start: [seg.id, SegmentKey.BodyNorms + 1], end: [seg.id + 1], ...snap.at })) {
    findings.note({ check: 'segment', shard, segment: seg.id, key: keyName('postings', key), message: 'key of an unknown kind' });
  }
}

function blockReferencesLarge(snap: ShardSnapshot, seg: SegmentInfo, indexTerms: readonly string[], term: string): boolean {
  let b = -1;
  for (let lo = 0, hi = indexTerms.length - 1; lo <= hi; ) {
    const mid = (lo + hi) >> 1;
    if ((indexTerms[mid] as string) <= term) {
      b = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (b < 0) return false;
  const block = snap.binary(snap.postings, [seg.id, SegmentKey.Block, b]);
  // A damaged block is a problem of its own: no second finding for the keys it names.
  if (block === undefined) return false;
  if (sealFault(block) !== null) return true;
  const heads = readBlockHeads(block.subarray(0, block.length - SEAL_BYTES));
  return typeof heads !== 'string' && heads.terms.some((h) => h.term === term && h.length === 0);
}
