import { compile } from 'html-to-text';

/**
 * Deeper elements are dropped: html-to-text walks the DOM recursively, and a page of
 * 100,000 nested <div>s would otherwise overflow the stack. Real pages nest < 100 deep.
 */
export const MAX_HTML_DEPTH = 512;

const toText = compile({
  wordwrap: false,
  // The default cut (16 Mi chars) warns on the console and truncates; size is bounded upstream.
  limits: { maxInputLength: Number.MAX_SAFE_INTEGER, maxDepth: MAX_HTML_DEPTH, ellipsis: '' },
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'table', options: { uppercaseHeaderCells: false } },
    { selector: 'hr', format: 'skip' },
  ],
});

/** The readable text of an HTML fragment or page: no tags, entities decoded, links as their text. */
export function htmlToText(html: string): string {
  return toText(capNesting(html, MAX_HTML_DEPTH));
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
const TAG = /<(\/?)([A-Za-z][\w:-]*)[^<>]*>/g;

/**
 * Replaces the open tags past `maxDepth` (and their close tags) with a space. htmlparser2
 * keeps its open elements with Array.unshift, so parsing N nested tags costs N² (80,000
 * <div>s: 6 s); a page is never that deep, a hostile input can be. Implied closes (<p>,
 * <li>) count as nesting here, so a page of thousands of unclosed <p>s loses some breaks
 * between paragraphs, never words.
 */
export function capNesting(html: string, maxDepth: number): string {
  let depth = 0;
  let dropped = 0;
  let changed = false;
  const out = html.replace(TAG, (tag, slash: string, name: string) => {
    if (VOID.has(name.toLowerCase()) || tag.endsWith('/>')) return tag;
    if (slash === '') {
      if (depth < maxDepth) {
        depth++;
        return tag;
      }
      dropped++;
    } else if (dropped > 0) dropped--;
    else {
      depth = Math.max(0, depth - 1);
      return tag;
    }
    changed = true;
    return ' ';
  });
  return changed ? out : html;
}

/** The text inside the first <tag>…</tag>, or null; found in linear time (no backtracking scan per '<'). */
function firstElementText(html: string, tag: string): string | null {
  const open = new RegExp(`<${tag}\\b`, 'i').exec(html);
  if (open === null) return null;
  const start = html.indexOf('>', open.index);
  if (start < 0) return null;
  const close = new RegExp(`</${tag}\\s*>`, 'ig');
  close.lastIndex = start + 1;
  const end = close.exec(html);
  return end === null ? null : html.slice(start + 1, end.index);
}

/** The page's <title>, else its first <h1>, as text; '' when it has neither. */
export function htmlTitle(html: string): string {
  const inner = firstElementText(html, 'title') ?? firstElementText(html, 'h1');
  if (inner === null) return '';
  return htmlToText(inner).replace(/\s+/g, ' ').trim();
}
