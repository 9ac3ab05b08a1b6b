import { tagTerm } from '../indexing/postings-buffer.js';
import { shardOf } from '../router.js';
import { BODY_CHUNK_BYTES } from '../store/body-store.js';
import { SEAL_BYTES, sealFault } from '../store/crc32c.js';
import type { SegmentNorms } from '../store/postings-codec.js';
import type { SegmentInfo, ShardState, StoredDoc } from '../store/shard-store.js';
import { type Findings, keyName } from './report.js';
import type { SegmentDocs } from './segment-check.js';
import type { ShardSnapshot } from './shard-snapshot.js';
import { segmentOf } from './state-check.js';

/** A live document picked for --deep re-analysis. */
export interface SampledDoc {
  n: number;
  id: string;
  title: string;
  tags: string[];
  titleLen: number;
  bodyLen: number;
}

export interface DocumentsTally {
  live: number;
  bodyChunks: number;
}

function isLength(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/**
 * The documents of one segment's docNum range, walked in docNum order through the hits
 * database (one record at a time): each hit's docs row agrees with it (id, docNum, title,
 * tags, date), its id hashes to this shard, it is not on the deleted list, its norms equal
 * its stored lengths, and its body is whole. Returns the segment's live docNums and tag
 * counts for the postings pass.
 */
export function checkSegmentDocuments(
  snap: ShardSnapshot,
  shard: number,
  /** Null when ruyi.json is unusable: the router cannot be checked without the real count. */
  shardCount: number | null,
  seg: SegmentInfo,
  norms: SegmentNorms | null,
  dead: ReadonlySet<number>,
  tally: DocumentsTally,
  findings: Findings,
  sample: { every: number; maxBodyBytes: number; into: SampledDoc[] } | null,
): SegmentDocs {
  const span = seg.last - seg.first + 1;
  const docs: SegmentDocs = { live: new Uint8Array(span), expectedTags: new Uint16Array(span), dead };
  let liveHere = 0;
  for (const { key: n, value: hit } of snap.hits.getRange({ start: seg.first, end: seg.last + 1, ...snap.at })) {
    const at = { shard, segment: seg.id, doc: n, key: keyName('hits', n) };
    if (!Array.isArray(hit) || hit.length !== 4 || typeof hit[0] !== 'string') {
      findings.problem({ check: 'hit', ...at, message: `hits row is not [id, title, tags, date]: ${JSON.stringify(hit)?.slice(0, 200)}` });
      continue;
    }
    const id = hit[0];
    const stored = snap.docs.get(id, snap.at);
    if (stored === undefined) {
      findings.problem({
        check: 'hit',
        ...at,
        id,
        message: 'hits row names an id that has no docs row: search shows a document get() cannot return',
      });
      continue;
    }
    if (stored.n !== n) {
      findings.problem({ check: 'hit', ...at, id, message: `the docs row of this id says docNum ${stored.n}` });
      continue;
    }
    const where = { ...at, key: keyName('docs', id), id };
    if (!isLength(stored.titleLen) || !isLength(stored.bodyLen) || !Array.isArray(stored.tags) || typeof stored.title !== 'string') {
      findings.problem({ check: 'doc', ...where, message: `docs row is malformed: ${JSON.stringify(stored).slice(0, 200)}` });
      continue;
    }
    if (hit[1] !== stored.title || JSON.stringify(hit[2]) !== JSON.stringify(stored.tags) || hit[3] !== stored.date) {
      findings.problem({ check: 'hit', ...at, id, message: 'title, tags or date differ between the hits row and the docs row' });
    }
    if (shardCount !== null && shardOf(id, shardCount) !== shard) {
      findings.problem({
        check: 'router',
        ...where,
        message: `id hashes to shard ${shardOf(id, shardCount)}: get(), replace and remove look there and miss it`,
      });
    }
    if (dead.has(n)) findings.problem({ check: 'state', ...where, message: 'live document is on the deleted list: searches skip it' });
    if (norms !== null) {
      const i = n - seg.first;
      const wantTitle = Math.min(stored.titleLen, 0xffff);
      if (norms.title[i] !== wantTitle || norms.body[i] !== stored.bodyLen) {
        findings.problem({
          check: 'segment',
          ...where,
          message: `norms say title ${norms.title[i]} and body ${norms.body[i]} positions, the docs row ${stored.titleLen} and ${stored.bodyLen}`,
        });
      }
    }
    const bodyBytes = checkBody(snap, shard, n, id, tally, findings);
    docs.live[n - seg.first] = 1;
    docs.expectedTags[n - seg.first] = new Set(stored.tags.map(tagTerm)).size;
    liveHere++;
    tally.live++;
    if (sample !== null && tally.live % sample.every === 0 && bodyBytes >= 0 && bodyBytes <= sample.maxBodyBytes) {
      sample.into.push({ n, id, title: stored.title, tags: stored.tags, titleLen: stored.titleLen, bodyLen: stored.bodyLen });
    }
  }
  let deadHere = 0;
  for (const d of dead) if (d >= seg.first && d <= seg.last) deadHere++;
  if (liveHere + deadHere !== seg.docs) {
    findings.problem({
      check: 'stats',
      shard,
      segment: seg.id,
      message: `the state says ${seg.docs} documents, the segment's range holds ${liveHere} live and ${deadHere} deleted`,
    });
  }
  return docs;
}

/** Chunks [n, 0..k-1] exist and pass their checksums, all but the last are full, and together they are valid UTF-8. Returns the body's bytes, or -1. */
function checkBody(snap: ShardSnapshot, shard: number, n: number, id: string, tally: DocumentsTally, findings: Findings): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let expected = 0;
  let bytes = 0;
  let lastLength = -1;
  let fault: string | null = null;
  for (const { key, value } of snap.bodies.getRange({ start: [n, 0], end: [n + 1, 0], ...snap.at })) {
    tally.bodyChunks++;
    if (fault !== null) continue;
    const sealFaultHere = sealFault(value);
    const data = value.subarray(0, Math.max(0, value.length - SEAL_BYTES));
    if (key[1] !== expected) fault = `chunk ${expected} is missing (next is ${JSON.stringify(key[1])})`;
    else if (sealFaultHere !== null) fault = `chunk ${expected}: ${sealFaultHere}: the body changed after it was written`;
    else if (lastLength >= 0 && lastLength !== BODY_CHUNK_BYTES) fault = `chunk ${expected - 1} is ${lastLength} bytes but is not the last`;
    else {
      try {
        decoder.decode(data, { stream: true });
      } catch {
        fault = `chunk ${expected} is not valid UTF-8`;
      }
    }
    if (fault !== null && sealFaultHere !== null && key[1] === expected) {
      // Name the chunk itself: the key to restore from a copy.
      findings.problem({ check: 'body', shard, doc: n, id, key: keyName('bodies', key), message: fault });
      return -1;
    }
    expected++;
    bytes += data.length;
    lastLength = data.length;
  }
  if (fault === null && expected === 0) fault = 'body is missing: get() returns an empty body';
  if (fault === null && lastLength === 0 && expected > 1) fault = `chunk ${expected - 1} is empty`;
  if (fault === null) {
    try {
      decoder.decode();
    } catch {
      fault = 'body ends inside a UTF-8 character (a chunk is missing or cut)';
    }
  }
  if (fault !== null) {
    findings.problem({ check: 'body', shard, doc: n, id, key: keyName('bodies', [n, '*']), message: fault });
    return -1;
  }
  return bytes;
}

/**
 * The shard-wide directions the segment walks do not cover: every docs row has the hits
 * row it names, hits rows and bodies lie in live segments (bodies at or above nextDoc are
 * a crashed batch's, removed by the next write: notes), and the state's counters equal the
 * recomputed ones.
 */
export function checkShardDocuments(
  snap: ShardSnapshot,
  shard: number,
  state: ShardState,
  sorted: readonly SegmentInfo[],
  tally: DocumentsTally,
  findings: Findings,
): void {
  let docRows = 0;
  let sumTitleLen = 0;
  let sumBodyLen = 0;
  for (const { key: id, value: stored } of snap.docs.getRange(snap.at)) {
    docRows++;
    const n = (stored as StoredDoc | undefined)?.n;
    const at = { check: 'doc' as const, shard, id, key: keyName('docs', id) };
    sumTitleLen += isLength(stored?.titleLen) ? stored.titleLen : 0;
    sumBodyLen += isLength(stored?.bodyLen) ? stored.bodyLen : 0;
    if (!isLength(n)) {
      findings.problem({ ...at, message: `docs row has no docNum: ${JSON.stringify(stored)?.slice(0, 200)}` });
      continue;
    }
    const hit = snap.hits.get(n, snap.at);
    if (hit === undefined) findings.problem({ ...at, doc: n, message: 'docs row has no hits row: get() finds it, search never shows it' });
    else if (hit[0] !== id)
      findings.problem({ ...at, doc: n, message: `the hits row of its docNum belongs to id ${JSON.stringify(hit[0])}` });
    else if (n >= state.nextDoc || segmentOf(sorted, n) === undefined) {
      findings.problem({ ...at, doc: n, message: `docNum is in no live segment (nextDoc ${state.nextDoc}): it has no postings` });
    }
  }
  // Hits rows outside every segment were not visited by the segment walks.
  for (const n of snap.hits.getKeys(snap.at)) {
    if (segmentOf(sorted, n) === undefined) {
      findings.problem({
        check: 'hit',
        shard,
        doc: n,
        key: keyName('hits', n),
        message: `hits row of a docNum in no live segment (nextDoc ${state.nextDoc})`,
      });
    }
  }
  let orphanBodies = 0;
  let lastN = -1;
  for (const key of snap.bodies.getKeys(snap.at)) {
    const n = key[0];
    if (n === lastN) continue;
    lastN = n;
    if (n >= state.nextDoc) orphanBodies++;
    else if (snap.binary(snap.hits as never, n) === undefined) {
      findings.problem({
        check: 'body',
        shard,
        doc: n,
        key: keyName('bodies', [n, '*']),
        message: 'body of a docNum that is not a live document (leaked by a delete)',
      });
    }
  }
  if (orphanBodies > 0) {
    findings.note({
      check: 'body',
      shard,
      message: `${orphanBodies} bodies at docNums >= nextDoc ${state.nextDoc}: left by a batch a crash cut short; the next write to this shard removes them`,
    });
  }
  if (docRows !== tally.live) {
    findings.problem({
      check: 'stats',
      shard,
      message: `${docRows} docs rows, but ${tally.live} documents are whole (hits row, docs row and segment agree)`,
    });
  }
  const recount: [string, number, number][] = [
    ['docs', state.docs, docRows],
    ['sumTitleLen', state.sumTitleLen, sumTitleLen],
    ['sumBodyLen', state.sumBodyLen, sumBodyLen],
  ];
  for (const [field, stored, counted] of recount) {
    if (stored !== counted) {
      findings.problem({
        check: 'stats',
        shard,
        key: "state 'state'",
        message: `${field} is ${stored}, recomputed ${counted}: BM25's document count and average lengths are off`,
      });
    }
  }
}
