import { createRequire } from 'node:module';
import type { Trie } from 'opencc-js/core';

type OpenccT2cn = typeof import('opencc-js/t2cn');

/**
 * Characters that count as traditional-only although OpenCC maps them: they are also
 * ordinary simplified characters (乾 in 乾隆), so they alone must not make a run traditional.
 */
const ALSO_SIMPLIFIED = '乾';

/** A piece of converted text and the range of the input it came from. */
export type PieceSink = (piece: string, sourceStart: number, sourceEnd: number) => void;

function isHan(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0x20000 && code <= 0x3ffff)
  );
}

/**
 * Traditional → simplified conversion with OpenCC's dictionaries (opencc-js), including
 * Taiwan and Hong Kong phrases (記憶體 → 内存, 軟體 → 软件, 資料庫 → 数据库).
 *
 * Only runs of Han characters that contain a traditional-only character are converted.
 * Converting every run would also apply Taiwan's vocabulary to simplified text, where the
 * same words mean something else: measured on the dev corpus (8,711 simplified documents),
 * blind tw→cn conversion changed 26% of the documents (文件 → 文档, 程序 → 进程, 建立 →
 * 创建, 序列 → 串行). A Taiwan word written without any traditional-only character (程式,
 * 使用者) is therefore not converted: the price of leaving simplified text alone.
 *
 * Linear: one pass to find runs, then OpenCC's longest-match tries (bounded by the longest
 * dictionary entry) over the traditional runs only.
 */
export class SimplifiedConverter {
  private static shared: SimplifiedConverter | null = null;

  private constructor(
    /** Taiwan and Hong Kong phrases and variants → OpenCC standard traditional. */
    private readonly regional: Trie,
    /** Standard traditional → simplified (TSPhrases, TSCharacters). */
    private readonly simplify: Trie,
    /** BMP code units of traditional-only characters; astral ones in `astral`. */
    private readonly bmp: Uint8Array,
    private readonly astral: Set<number>,
  ) {}

  /**
   * Loads the dictionaries once per thread, on first use: ~110 ms, ~3 MB resident (the
   * t2cn bundle holds only the traditional → simplified direction). An index without the
   * `traditional` option never loads them.
   */
  static load(): SimplifiedConverter {
    if (SimplifiedConverter.shared !== null) return SimplifiedConverter.shared;
    // The UMD bundle loads synchronously with require; its ES build would need an await.
    const opencc = createRequire(import.meta.url)('opencc-js/t2cn') as OpenccT2cn;
    const { Trie: TrieClass, Locale } = opencc;
    const regionalGroups = [...(Locale.from.twp ?? []), ...(Locale.from.hk ?? [])];
    const regional = new TrieClass();
    regional.loadDictGroup(regionalGroups.flat());
    const simplify = new TrieClass();
    const toCn = Locale.to.cn ?? [];
    simplify.loadDictGroup(toCn.flat());
    // TSCharacters is the last dictionary of Locale.to.cn: its keys that change are the
    // traditional-only characters, less those that are also simplified forms.
    const chars = toCn[0]?.[toCn[0].length - 1];
    const bmp = new Uint8Array(0x10000);
    const astral = new Set<number>();
    const pairs = typeof chars === 'string' ? chars.split('|').map((l) => l.split(' ')) : (chars ?? []);
    const simplifiedForms = new Set<string>(ALSO_SIMPLIFIED);
    for (const [, to] of pairs) for (const c of to ?? '') simplifiedForms.add(c);
    for (const [from, to] of pairs) {
      if (from === undefined || from === to || simplifiedForms.has(from)) continue;
      const code = from.codePointAt(0) as number;
      if (code > 0xffff) astral.add(code);
      else bmp[code] = 1;
    }
    SimplifiedConverter.shared = new SimplifiedConverter(regional, simplify, bmp, astral);
    return SimplifiedConverter.shared;
  }

  private isTraditional(code: number): boolean {
    return code > 0xffff ? this.astral.has(code) : this.bmp[code] === 1;
  }

  /** Whether the text holds any traditional-only character (the fast path: most text has none). */
  hasTraditional(text: string): boolean {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x3400) continue;
      if (c >= 0xd800 && c <= 0xdbff) {
        if (this.astral.has(text.codePointAt(i) as number)) return true;
        i++;
      } else if (this.bmp[c] === 1) return true;
    }
    return false;
  }

  /** The text with its traditional runs made simplified; the same string if it has none. */
  convert(text: string): string {
    if (!this.hasTraditional(text)) return text;
    const parts: string[] = [];
    this.convertPieces(text, (piece) => parts.push(piece));
    return parts.join('');
  }

  /**
   * Converts `text`, giving each output piece with the input range it replaces: unchanged
   * stretches as they are, a converted run as one piece per dictionary match (so 記憶體 →
   * 内存 maps back to the three characters it came from).
   */
  convertPieces(text: string, emit: PieceSink): void {
    let plainFrom = 0;
    let i = 0;
    while (i < text.length) {
      const code = text.codePointAt(i) as number;
      if (!isHan(code)) {
        i += code > 0xffff ? 2 : 1;
        continue;
      }
      const runStart = i;
      let traditional = false;
      while (i < text.length) {
        const c = text.codePointAt(i) as number;
        if (!isHan(c)) break;
        if (!traditional && this.isTraditional(c)) traditional = true;
        i += c > 0xffff ? 2 : 1;
      }
      if (!traditional) continue;
      if (runStart > plainFrom) emit(text.slice(plainFrom, runStart), plainFrom, runStart);
      this.convertRun(text, runStart, i, emit);
      plainFrom = i;
    }
    if (plainFrom < text.length) emit(plainFrom === 0 ? text : text.slice(plainFrom), plainFrom, text.length);
  }

  /** One traditional run: regional phrases first, then each piece to simplified. */
  private convertRun(text: string, start: number, end: number, emit: PieceSink): void {
    const run = text.slice(start, end);
    let at = 0;
    for (const segment of this.regional.segment(run)) {
      const out = this.simplify.convert(this.regional.convert(segment));
      if (out.length === segment.length && out !== segment && segment.length > 1) {
        // Same length: character by character, so a highlight can cover part of the segment.
        for (let k = 0; k < segment.length; k++) emit(out[k] as string, start + at + k, start + at + k + 1);
      } else {
        emit(out, start + at, start + at + segment.length);
      }
      at += segment.length;
    }
  }
}
