import type { Comparison, FilterNode } from './filter-parser.js';

export type JsonObject = Record<string, unknown>;

/**
 * The values of an attribute, arrays flattened: `a.b` reads a nested object (through arrays
 * of objects too), as Meilisearch's dotted attribute names do. A top-level key that itself
 * contains dots wins over the nested reading.
 */
export function attributeValues(doc: JsonObject, attr: string): { present: boolean; values: unknown[] } {
  if (Object.hasOwn(doc, attr)) return { present: true, values: flatten(doc[attr]) };
  const parts = attr.split('.');
  if (parts.length === 1) return { present: false, values: [] };
  let layer: unknown[] = [doc];
  for (const part of parts) {
    const next: unknown[] = [];
    for (const v of layer) {
      for (const item of Array.isArray(v) ? v : [v]) {
        if (item !== null && typeof item === 'object' && Object.hasOwn(item, part)) next.push((item as JsonObject)[part]);
      }
    }
    if (next.length === 0) return { present: false, values: [] };
    layer = next;
  }
  return { present: true, values: layer.flatMap(flatten) };
}

function flatten(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flatten) : [v];
}

function asNumber(text: string): number | null {
  if (text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** Equality as Meilisearch filters it: numbers numerically, strings case-insensitively. */
function equals(v: unknown, target: string): boolean {
  if (typeof v === 'number') {
    const n = asNumber(target);
    return n !== null && n === v;
  }
  if (typeof v === 'boolean') return String(v) === target.toLowerCase();
  if (typeof v === 'string') return v.toLowerCase() === target.toLowerCase();
  return false;
}

/**
 * Order comparisons: numbers numerically; strings (ISO dates, for instance) by code
 * point, which orders ISO 8601 dates by time. A number never compares with a word.
 */
function order(v: unknown, target: string): number | null {
  if (typeof v === 'number') {
    const n = asNumber(target);
    return n === null ? null : v - n;
  }
  if (typeof v === 'string') {
    if (asNumber(v) !== null && asNumber(target) !== null) return (asNumber(v) as number) - (asNumber(target) as number);
    return v < target ? -1 : v > target ? 1 : 0;
  }
  return null;
}

function compare(v: unknown, cmp: Comparison, target: string): boolean {
  if (cmp === '=') return equals(v, target);
  if (cmp === '!=') return !equals(v, target);
  const o = order(v, target);
  if (o === null) return false;
  if (cmp === '>') return o > 0;
  if (cmp === '>=') return o >= 0;
  if (cmp === '<') return o < 0;
  return o <= 0;
}

export function matchesFilter(doc: JsonObject, node: FilterNode): boolean {
  switch (node.op) {
    case 'and':
      return node.items.every((n) => matchesFilter(doc, n));
    case 'or':
      return node.items.some((n) => matchesFilter(doc, n));
    case 'not':
      return !matchesFilter(doc, node.item);
    case 'cmp': {
      const { values } = attributeValues(doc, node.attr);
      // `a != x` holds for documents without `a`, as in Meilisearch (it is NOT a = x).
      if (node.cmp === '!=') return !values.some((v) => equals(v, node.value));
      return values.some((v) => compare(v, node.cmp, node.value));
    }
    case 'range':
      return attributeValues(doc, node.attr).values.some((v) => {
        const low = order(v, node.from);
        const high = order(v, node.to);
        return low !== null && high !== null && low >= 0 && high <= 0;
      });
    case 'in':
      return attributeValues(doc, node.attr).values.some((v) => node.values.some((t) => equals(v, t)));
    case 'exists':
      return attributeValues(doc, node.attr).present;
    case 'null': {
      const { present, values } = attributeValues(doc, node.attr);
      return present && values.length > 0 && values.every((v) => v === null);
    }
    case 'empty': {
      if (!Object.hasOwn(doc, node.attr)) return false;
      const raw = doc[node.attr];
      if (raw === '' || (Array.isArray(raw) && raw.length === 0)) return true;
      return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0;
    }
  }
}
