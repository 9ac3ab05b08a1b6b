import type { SearchOptions } from '../index.js';
import { MAX_QUERY_CLAUSES } from '../search/query-parser.js';
import { missingShardsOf } from './cluster-serve.js';
import { type DocStore, holdsLong } from './doc-store.js';
import { ApiError } from './errors.js';
import { attributeValues, type JsonObject, matchesFilter } from './filter-eval.js';
import { type FilterNode, filterAttributes, parseFilter } from './filter-parser.js';
import { type FormatOptions, formatString, highlightTerms, matchRanges } from './highlight.js';
import type { IndexRecord, OpenedIndex } from './registry.js';
import type { SearchParams } from './search-params.js';
import type { IndexSettings } from './settings.js';

/** ruyi returns at most this many hits per call (SearchOptions.limit); deeper pages go through the full path. */
const RUYI_MAX_LIMIT = 1000;
/** Meilisearch's maxValuesPerFacet default. */
const MAX_VALUES_PER_FACET = 100;
const DEFAULT_CROP_LENGTH = 10;
/** Most hits one answer carries: each is read and formatted in memory. */
const MAX_HITS = 1000;

function allowed(list: readonly string[], attr: string): boolean {
  return list.includes('*') || list.some((a) => a === attr || attr.startsWith(`${a}.`));
}

function checkFilterable(settings: IndexSettings, attrs: Iterable<string>, code: 'invalid_search_filter' | 'invalid_search_facets'): void {
  for (const attr of attrs) {
    if (allowed(settings.filterableAttributes, attr)) continue;
    const available =
      settings.filterableAttributes.length === 0
        ? 'This index does not have configured filterable attributes.'
        : `Available filterable attributes are: \`${settings.filterableAttributes.join(', ')}\`.`;
    const what = code === 'invalid_search_facets' ? 'faceted' : 'filterable';
    throw new ApiError(code, `Attribute \`${attr}\` is not ${what}. ${available}`);
  }
}

interface SortRule {
  attr: string;
  asc: boolean;
}

function parseSort(settings: IndexSettings, sort: readonly string[] | null | undefined): SortRule[] {
  return (sort ?? []).map((rule) => {
    const at = rule.lastIndexOf(':');
    const attr = rule.slice(0, at);
    const dir = rule.slice(at + 1);
    if (at <= 0 || (dir !== 'asc' && dir !== 'desc'))
      throw new ApiError(
        'invalid_search_sort',
        `Invalid syntax for the sort parameter: expected expression ending by \`:asc\` or \`:desc\`, found \`${rule}\`.`,
      );
    if (!allowed(settings.sortableAttributes, attr)) {
      const available =
        settings.sortableAttributes.length === 0
          ? 'This index does not have configured sortable attributes.'
          : `Available sortable attributes are: \`${settings.sortableAttributes.join(', ')}\`.`;
      throw new ApiError('invalid_search_sort', `Attribute \`${attr}\` is not sortable. ${available}`);
    }
    return { attr, asc: dir === 'asc' };
  });
}

/** Sort key of one attribute: numbers before strings (as Meilisearch orders them), missing last. */
type SortKey = number | string | null;

function sortKey(doc: JsonObject, attr: string, asc: boolean): SortKey {
  const values = attributeValues(doc, attr).values.filter((v) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean');
  if (values.length === 0) return null;
  const nums = values.filter((v): v is number => typeof v === 'number');
  if (nums.length > 0) return asc ? Math.min(...nums) : Math.max(...nums);
  const strs = values.map(String).sort();
  return (asc ? strs[0] : strs[strs.length - 1]) as string;
}

function compareKeys(a: SortKey, b: SortKey, asc: boolean): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  const c = a < b ? -1 : 1;
  return asc ? c : -c;
}

interface Candidate {
  id: string;
  score: number;
  keys: SortKey[];
}

/**
 * The query ruyi runs: stop words dropped, synonyms expanded to `(word OR synonym)`. A
 * query without synonyms stays plain words (no operators), as Meilisearch reads `q`.
 */
export function ruyiQuery(q: string, settings: IndexSettings): { text: string; syntax: 'plain' | 'query' } {
  const stop = new Set(settings.stopWords.map((w) => w.toLowerCase()));
  let tokens = q.split(/\s+/).filter((t) => t !== '');
  const kept = tokens.filter((t) => !stop.has(t.toLowerCase()));
  if (kept.length > 0) tokens = kept;
  const synonyms = new Map(Object.entries(settings.synonyms).map(([k, v]) => [k.toLowerCase(), v]));
  // Synonyms that would take the query past ruyi's clause limit are left out: the words
  // alone are searched (as plain words, cut to the limit), never a query made unreadable.
  const clauses = tokens.reduce((n, t) => n + 1 + (synonyms.get(t.toLowerCase())?.length ?? 0), 0);
  if (clauses > MAX_QUERY_CLAUSES) return { text: tokens.join(' '), syntax: 'plain' };
  const whole = synonyms.get(tokens.join(' ').toLowerCase());
  const quote = (w: string): string => `"${w.replace(/["\\]/g, ' ').trim()}"`;
  if (whole !== undefined && tokens.length > 1) return { text: [tokens.join(' '), ...whole].map(quote).join(' OR '), syntax: 'query' };
  if (!tokens.some((t) => synonyms.has(t.toLowerCase()))) return { text: tokens.join(' '), syntax: 'plain' };
  const parts = tokens.map((t) => {
    const alternatives = synonyms.get(t.toLowerCase());
    return alternatives === undefined ? quote(t) : `(${[t, ...alternatives].map(quote).join(' OR ')})`;
  });
  return { text: parts.join(' '), syntax: 'query' };
}

/** Top-level `tags = x` conditions: ruyi can narrow by tag before the exact post-filter. */
function requiredTags(node: FilterNode | null): string[] {
  if (node === null) return [];
  const items = node.op === 'and' ? node.items : [node];
  return items.filter((n) => n.op === 'cmp' && n.attr === 'tags' && n.cmp === '=').map((n) => (n as { value: string }).value);
}

function project(doc: JsonObject, attrs: readonly string[], displayed: readonly string[]): JsonObject {
  const wanted = attrs.includes('*') ? Object.keys(doc) : attrs;
  const out: JsonObject = {};
  for (const key of wanted) if (Object.hasOwn(doc, key) && allowed(displayed, key)) out[key] = doc[key];
  return out;
}

function formatValue(value: unknown, o: FormatOptions): unknown {
  if (typeof value === 'string') return formatString(value, o).text;
  if (Array.isArray(value)) return value.map((v) => formatValue(v, o));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, formatValue(v, o)]));
  return value;
}

/**
 * What a hit is formatted from: the projection when every attribute the hit shows is short
 * in it (a page of man pages' ids and titles then parses a few hundred bytes, not 200 KB
 * bodies), else the whole document.
 */
function hitSource(docs: DocStore, id: string, p: SearchParams, settings: IndexSettings): JsonObject | undefined {
  if (p.showMatchesPosition) return docs.get(id);
  const attrs = docs.getAttrs(id);
  if (attrs === undefined) return undefined;
  const shown = [...(p.attributesToRetrieve ?? ['*']), ...(p.attributesToHighlight ?? []), ...cropLengths(p).keys()];
  return holdsLong(project(attrs, shown, settings.displayedAttributes)) ? docs.get(id) : attrs;
}

/** attributesToCrop as attribute -> crop length: `body:20`, or `body` with cropLength. */
function cropLengths(p: SearchParams): Map<string, number> {
  const toCrop = new Map<string, number>();
  for (const item of p.attributesToCrop ?? []) {
    const at = item.lastIndexOf(':');
    const n = at > 0 ? Number(item.slice(at + 1)) : Number.NaN;
    if (Number.isInteger(n) && n >= 0) toCrop.set(item.slice(0, at), n);
    else toCrop.set(item, p.cropLength ?? DEFAULT_CROP_LENGTH);
  }
  return toCrop;
}

function formatHit(doc: JsonObject, p: SearchParams, settings: IndexSettings, terms: string[]): JsonObject {
  const hit = project(doc, p.attributesToRetrieve ?? ['*'], settings.displayedAttributes);
  const toHighlight = p.attributesToHighlight ?? [];
  const toCrop = cropLengths(p);
  if (toHighlight.length > 0 || toCrop.size > 0) {
    const formatted: JsonObject = {};
    // As in Meilisearch, attributes to highlight or crop are formatted even when not retrieved.
    const source = project(doc, [...(p.attributesToRetrieve ?? ['*']), ...toHighlight, ...toCrop.keys()], settings.displayedAttributes);
    for (const [key, value] of Object.entries(source)) {
      const high = toHighlight.includes('*') || toHighlight.includes(key);
      const crop = toCrop.get(key) ?? toCrop.get('*') ?? null;
      formatted[key] =
        high || crop !== null
          ? formatValue(value, {
              terms,
              pre: p.highlightPreTag ?? '<em>',
              post: p.highlightPostTag ?? '</em>',
              highlight: high,
              crop,
              cropMarker: p.cropMarker ?? '…',
            })
          : value;
    }
    hit._formatted = formatted;
  }
  if (p.showMatchesPosition) {
    const positions: Record<string, { start: number; length: number }[]> = {};
    for (const [key, value] of Object.entries(doc)) {
      if (typeof value !== 'string') continue;
      const ranges = matchRanges(value, terms);
      if (ranges.length > 0) positions[key] = ranges.map(([s, e]) => ({ start: s, length: e - s }));
    }
    hit._matchesPosition = positions;
  }
  return hit;
}

function facetValue(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

class FacetCounter {
  readonly counts = new Map<string, Map<string, number>>();
  readonly stats = new Map<string, { min: number; max: number }>();
  constructor(private readonly attrs: readonly string[]) {
    for (const a of attrs) this.counts.set(a, new Map());
  }

  add(doc: JsonObject): void {
    for (const attr of this.attrs) {
      const seen = new Set<string>();
      for (const v of attributeValues(doc, attr).values) {
        const key = facetValue(v);
        if (key === null || seen.has(key)) continue;
        seen.add(key);
        const m = this.counts.get(attr) as Map<string, number>;
        m.set(key, (m.get(key) ?? 0) + 1);
        if (typeof v === 'number') {
          const s = this.stats.get(attr);
          this.stats.set(attr, s === undefined ? { min: v, max: v } : { min: Math.min(s.min, v), max: Math.max(s.max, v) });
        }
      }
    }
  }

  distribution(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [attr, m] of this.counts) {
      const keys = [...m.keys()].sort().slice(0, MAX_VALUES_PER_FACET);
      out[attr] = Object.fromEntries(keys.map((k) => [k, m.get(k) as number]));
    }
    return out;
  }
}

export function searchIndex(uid: string, record: IndexRecord, opened: OpenedIndex, p: SearchParams): Record<string, unknown> {
  const started = performance.now();
  const settings = record.settings;
  const q = p.q ?? '';
  const filter = parseFilter(p.filter);
  if (filter !== null) checkFilterable(settings, filterAttributes(filter), 'invalid_search_filter');
  const sort = parseSort(settings, p.sort);
  const wantsFacets = p.facets !== undefined && p.facets !== null;
  // An empty list (InstantSearch sends one) asks for no counts: the fast path still applies.
  let facets: string[] | null = null;
  if (wantsFacets && (p.facets as string[]).length > 0)
    facets = (p.facets as string[]).includes('*') ? settings.filterableAttributes.filter((a) => a !== '*') : (p.facets as string[]);
  if (facets !== null) checkFilterable(settings, facets, 'invalid_search_facets');
  const paged = p.page !== undefined || p.hitsPerPage !== undefined;
  const hitsPerPage = p.hitsPerPage ?? 20;
  const page = p.page ?? 1;
  const offset = paged ? Math.max(0, page - 1) * hitsPerPage : (p.offset ?? 0);
  // At most MAX_HITS hits per answer, like Meilisearch's maxTotalHits; totals are not capped by it.
  const limit = Math.min(MAX_HITS, paged ? (page === 0 ? 0 : hitsPerPage) : (p.limit ?? 20));
  const placeholder = q.trim() === '';
  const query = ruyiQuery(q, settings);
  const { ruyi, docs } = opened;
  const base: SearchOptions = { syntax: query.syntax, prefix: true };

  let total: number;
  let pageIds: string[];
  let counter: FacetCounter | null = null;
  // On a cluster, shards whose replicas are all down (cluster-serve.ts): their hits are missing, and the answer says so.
  let missingShards: ReturnType<typeof missingShardsOf> = [];
  if (filter === null && sort.length === 0 && facets === null && (placeholder || offset + limit <= RUYI_MAX_LIMIT)) {
    if (placeholder) {
      total = docs.count();
      pageIds = limit === 0 ? [] : [...docs.range(offset, limit)].map((d) => d.id);
    } else {
      // A page count needs the exact total (totalHits); offset/limit answers say it is an estimate.
      const r = ruyi.search(query.text, { ...base, offset, limit, exactTotal: paged });
      missingShards = missingShardsOf(r);
      total = r.total;
      pageIds = r.hits.map((h) => h.id);
    }
  } else {
    // Every match is needed (to filter, count facets or sort by attributes): a scorer sees
    // each one; only ids, scores and sort keys are kept, never the documents.
    const matches: { id: string; score: number }[] = [];
    if (placeholder) for (const id of docs.ids()) matches.push({ id, score: 0 });
    else {
      const tags = requiredTags(filter);
      const r = ruyi.search(query.text, {
        ...base,
        limit: 1,
        ...(tags.length > 0 ? { tags } : {}),
        scorer: (h) => {
          matches.push({ id: h.id, score: h.score });
          return h.score;
        },
      });
      missingShards = missingShardsOf(r);
    }
    counter = facets === null ? null : new FacetCounter(facets);
    const kept: Candidate[] = [];
    for (const m of matches) {
      const doc = docs.getAttrs(m.id);
      if (doc === undefined || (filter !== null && !matchesFilter(doc, filter))) continue;
      counter?.add(doc);
      kept.push({ id: m.id, score: m.score, keys: sort.map((s) => sortKey(doc, s.attr, s.asc)) });
    }
    kept.sort((a, b) => {
      for (let i = 0; i < sort.length; i++) {
        const c = compareKeys(a.keys[i] as SortKey, b.keys[i] as SortKey, (sort[i] as SortRule).asc);
        if (c !== 0) return c;
      }
      return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
    total = kept.length;
    pageIds = kept.slice(offset, offset + limit).map((c) => c.id);
  }

  const terms = placeholder ? [] : highlightTerms(q);
  const hits: JsonObject[] = [];
  for (const id of pageIds) {
    const doc = hitSource(docs, id, p, settings);
    if (doc !== undefined) hits.push(formatHit(doc, p, settings, terms));
  }
  const out: Record<string, unknown> = { indexUid: uid, hits, query: q, processingTimeMs: Math.round(performance.now() - started) };
  if (paged)
    Object.assign(out, { hitsPerPage, page, totalPages: hitsPerPage === 0 ? 0 : Math.ceil(total / hitsPerPage), totalHits: total });
  else Object.assign(out, { limit, offset, estimatedTotalHits: total });
  if (missingShards.length > 0) Object.assign(out, { partial: true, missingShards });
  if (wantsFacets && counter === null) Object.assign(out, { facetDistribution: {}, facetStats: {} });
  if (counter !== null) {
    out.facetDistribution = counter.distribution();
    out.facetStats = Object.fromEntries(counter.stats);
  }
  return out;
}
