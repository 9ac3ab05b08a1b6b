/**
 * Cuts text into pieces of at most `maxChars`, at a paragraph, sentence or space boundary
 * when one is near the end, so that the segmenter never sees (and never returns the token
 * array of) a whole huge document, and words are rarely cut in two.
 */
const BOUNDARIES = ['\n', '。', '！', '？', '；', '.', '!', '?', ';', ' ', '，', ','];

export function* textChunks(text: string, maxChars: number): Generator<string> {
  let start = 0;
  while (text.length - start > maxChars) {
    const hardEnd = start + maxChars;
    // Look back at most a quarter of a chunk for a boundary; otherwise cut hard.
    const floor = hardEnd - (maxChars >> 2);
    let cut = -1;
    for (const mark of BOUNDARIES) {
      const at = text.lastIndexOf(mark, hardEnd - 1);
      if (at >= floor) {
        cut = at + 1;
        break;
      }
    }
    if (cut <= start) cut = hardEnd;
    // Never split a surrogate pair (and never yield an empty chunk for a tiny maxChars).
    const code = text.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut = cut - 1 > start ? cut - 1 : cut + 1;
    yield text.slice(start, cut);
    start = cut;
  }
  if (start < text.length) yield start === 0 ? text : text.slice(start);
}
