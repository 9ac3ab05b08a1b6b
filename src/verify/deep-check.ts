import type { Analyzer } from '../analysis/analyzer.js';
import { tagTerm } from '../indexing/postings-buffer.js';
import { SEAL_BYTES } from '../store/crc32c.js';
import type { SampledDoc } from './docs-check.js';
import type { Findings } from './report.js';
import type { RecordedTerms } from './segment-check.js';
import type { ShardSnapshot } from './shard-snapshot.js';

type TermPostings = Map<string, { tfTitle: number; tfBody: number; positions: number[] }>;

/** Bodies up to this many bytes are analyzed as one string by the writer, so re-analysis reproduces them exactly. */
export const DEEP_MAX_BODY_BYTES = 256 * 1024;

/** The postings the writer makes for one document (as PostingsBuffer.addDocument does). */
function analyzeDoc(analyzer: Analyzer, title: string, body: string, tags: readonly string[]) {
  const terms: TermPostings = new Map();
  let titleLen = Number.POSITIVE_INFINITY;
  const sink = (term: string, position: number): void => {
    let t = terms.get(term);
    if (t === undefined) {
      t = { tfTitle: 0, tfBody: 0, positions: [] };
      terms.set(term, t);
    }
    if (position < titleLen) t.tfTitle++;
    else t.tfBody++;
    t.positions.push(position);
  };
  titleLen = analyzer.analyze(title, 0, sink);
  // The sink above counted title terms while titleLen was still unknown (infinite): right.
  const bodyStart = titleLen + 1;
  const end = analyzer.analyze(body, bodyStart, sink);
  for (const tag of new Set(tags.map(tagTerm))) if (!terms.has(tag)) terms.set(tag, { tfTitle: 0, tfBody: 0, positions: [] });
  return { terms, titleLen, bodyLen: end - bodyStart };
}

function readBodyText(snap: ShardSnapshot, n: number): string {
  const parts: Buffer[] = [];
  for (const { value } of snap.bodies.getRange({ start: [n, 0], end: [n + 1, 0], ...snap.at }))
    parts.push(Buffer.from(value.subarray(0, Math.max(0, value.length - SEAL_BYTES))));
  return Buffer.concat(parts).toString('utf8');
}

/**
 * --deep: re-analyzes sampled documents (title, body, tags) and compares the result with
 * what the segment pass recorded from the stored postings: the same terms, frequencies and
 * positions, and the same field lengths as the docs row. Returns how many were compared.
 */
export function compareSampledDocs(
  snap: ShardSnapshot,
  shard: number,
  segment: number,
  sampled: readonly SampledDoc[],
  recorded: RecordedTerms,
  analyzer: Analyzer,
  findings: Findings,
): number {
  for (const doc of sampled) {
    const at = { check: 'analysis' as const, shard, segment, doc: doc.n, id: doc.id };
    const want = analyzeDoc(analyzer, doc.title, readBodyText(snap, doc.n), doc.tags);
    if (want.titleLen !== doc.titleLen || want.bodyLen !== doc.bodyLen) {
      findings.problem({
        ...at,
        message: `re-analysis gives title ${want.titleLen} and body ${want.bodyLen} positions, the docs row ${doc.titleLen} and ${doc.bodyLen}`,
      });
    }
    const have = recorded.get(doc.n) ?? new Map();
    const missing = [...want.terms.keys()].filter((t) => !have.has(t));
    const extra = [...have.keys()].filter((t) => !want.terms.has(t));
    if (missing.length > 0) {
      findings.problem({
        ...at,
        term: missing[0],
        message: `${missing.length} term(s) of its text have no posting for it: searches for them miss it`,
      });
    }
    if (extra.length > 0) {
      findings.problem({ ...at, term: extra[0], message: `${extra.length} term(s) have a posting for it that its text does not contain` });
    }
    for (const [term, w] of want.terms) {
      const h = have.get(term);
      if (h === undefined) continue;
      if (h.tfTitle !== w.tfTitle || h.tfBody !== w.tfBody || h.positions.join() !== w.positions.join()) {
        findings.problem({
          ...at,
          term,
          message: `stored title/body frequencies ${h.tfTitle}/${h.tfBody} at [${h.positions.slice(0, 8).join(',')}], re-analysis ${w.tfTitle}/${w.tfBody} at [${w.positions.slice(0, 8).join(',')}]`,
        });
        break;
      }
    }
  }
  return sampled.length;
}
