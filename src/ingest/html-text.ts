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
  return toText(html);
}

const TITLE = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i;
const H1 = /<h1\b[^>]*>([\s\S]*?)<\/h1\s*>/i;

/** The page's <title>, else its first <h1>, as text; '' when it has neither. */
export function htmlTitle(html: string): string {
  const match = TITLE.exec(html) ?? H1.exec(html);
  if (match === null) return '';
  return htmlToText(match[1] as string)
    .replace(/\s+/g, ' ')
    .trim();
}
