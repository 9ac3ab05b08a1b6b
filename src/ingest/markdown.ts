import matter from 'gray-matter';

const refuse = (): never => {
  throw new Error('JavaScript front matter is not evaluated (it would run code from the input)');
};

/**
 * gray-matter would eval `---js` front matter; those engines throw instead. YAML goes
 * through js-yaml's safeLoad (no custom tags, no code); an unknown language throws.
 */
interface MatterOptions extends matter.GrayMatterOption<string, MatterOptions> {}
const MATTER_OPTIONS: MatterOptions = {
  engines: { js: refuse, javascript: refuse, coffee: refuse, coffeescript: refuse, cson: refuse },
};

/** Front matter fields and the Markdown after them. Throws on invalid front matter. */
export function splitFrontMatter(text: string): { data: Record<string, unknown>; content: string } {
  if (text.startsWith('+++')) return splitTomlFrontMatter(text);
  // Passing options also keeps gray-matter from caching every file's text in a global map.
  const parsed = matter(text, MATTER_OPTIONS);
  const data = parsed.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('front matter must be a mapping of fields');
  return { data: data as Record<string, unknown>, content: parsed.content };
}

/**
 * `+++` TOML front matter (Hugo), for the fields we use: `key = "string"`, 'literal',
 * numbers, booleans, dates and one-line arrays of those. Tables and other keys are skipped.
 */
function splitTomlFrontMatter(text: string): { data: Record<string, unknown>; content: string } {
  const firstEnd = text.indexOf('\n');
  const close = text.indexOf('\n+++', firstEnd);
  if (firstEnd < 0 || close < 0) throw new Error('TOML front matter (+++) is not closed');
  const block = text.slice(firstEnd + 1, close);
  const afterClose = text.indexOf('\n', close + 4);
  const content = afterClose < 0 ? '' : text.slice(afterClose + 1);
  const data: Record<string, unknown> = {};
  for (const raw of block.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) break; // a table: the top-level keys are over
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`TOML front matter: expected "key = value", got ${JSON.stringify(line.slice(0, 80))}`);
    const key = line
      .slice(0, eq)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    data[key] = tomlValue(line.slice(eq + 1).trim());
  }
  return { data, content };
}

function tomlValue(v: string): unknown {
  if (v.startsWith('[') && v.endsWith(']')) {
    const inner = v.slice(1, -1).trim();
    if (inner === '') return [];
    return (inner.match(/"(?:[^"\\]|\\.)*"|'[^']*'|[^,]+/g) ?? []).map((item) => tomlValue(item.trim())).filter((x) => x !== '');
  }
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) {
    try {
      return JSON.parse(v);
    } catch {
      return v.slice(1, -1);
    }
  }
  if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) return v.slice(1, -1);
  if (/^[+-]?\d+(?:\.\d+)?$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) return v; // TOML dates are kept as written
  const comment = v.search(/\s#/); // not /\s+#.*$/: it backtracks quadratically on long runs of spaces
  return comment < 0 ? v : v.slice(0, comment).trimEnd();
}

/**
 * Markdown to plain text for indexing: drops the syntax (headings' #, emphasis, list and
 * quote markers, link targets, image URLs, HTML tags, table pipes, fences) and keeps the
 * words, including those of code blocks, link texts and image alt texts. Line by line with
 * linear regexes, so any input (a fuzzer's) takes time in proportion to its length.
 */
export function markdownToText(md: string): string {
  const out: string[] = [];
  for (const rawLine of md.split('\n')) {
    let line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (/^\s{0,3}(?:`{3,}|~{3,})/.test(line)) {
      line = line.replace(/^\s*(?:`{3,}|~{3,})\s*/, ''); // a fence; its info string (the language) stays as a word
      out.push(line);
      continue;
    }
    if (/^\s{0,3}(?:[-*_]\s*){3,}$/.test(line)) continue; // a horizontal rule
    if (/^\s{0,3}\[[^\]]{1,999}\]:\s/.test(line)) continue; // a link reference definition
    if (/^\s*<!--.*-->\s*$/.test(line)) continue; // a comment line
    line = line
      .replace(/^\s{0,3}#{1,6}(?:\s+|$)/, '') // heading
      .replace(/^(?:\s*>)+\s?/, '') // block quote
      .replace(/^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?/, '') // list item, task box
      .replace(/^\s*[=-]{2,}\s*$/, '') // setext underline, table separator
      .replace(/\]\([^()\]\s]*(?:\s+"[^"()]*")?\)/g, ']') // link and image targets; the texts stay
      .replace(/\]\[[^\]]*\]/g, ']') // the label of a reference link
      .replace(/<\/?[A-Za-z][^<>]*>/g, ' ') // HTML tag
      .replace(/\\([\\`*_{}[\]()#+\-.!|~<>])/g, '$1') // escapes
      .replace(/!?\[|\]/g, '') // brackets of links and images
      .replace(/[*~`]+/g, '') // emphasis, strikethrough, inline code: removed, a space would split Chinese words
      .replace(/[#|]+/g, ' ') // closing hashes of a heading, table pipes
      .replace(/(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])/gu, ''); // _emphasis_, not snake_case
    out.push(line);
  }
  return out.join('\n');
}
