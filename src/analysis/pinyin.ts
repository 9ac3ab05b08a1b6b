import { createRequire } from 'node:module';

/**
 * Pinyin terms live in namespaces of their own, like tags (TAG_PREFIX '\u0001' in
 * indexing/postings-buffer.ts): a control character no analyzed word can start with, so
 * `neicun` typed as an English word never collides with the pinyin of 内存.
 */
export const PINYIN_PREFIX = '\u0002';
export const INITIALS_PREFIX = '\u0003';

/**
 * Recommended score weights for the query side, relative to 1 for a word match. Full
 * pinyin is ambiguous only between homophones (neicun: 内存, 内村), initials between many
 * words (nc: 内存, 南昌, 农村...), so both rank below a literal match of the same rarity.
 */
export const PINYIN_TERM_WEIGHT = 0.6;
export const INITIALS_TERM_WEIGHT = 0.3;

/** Words longer than this get no pinyin terms (nobody types 17 syllables; it bounds term length). */
export const MAX_PINYIN_WORD_CHARS = 16;

/**
 * Bound on the words of one token that get pinyin terms: the word itself and its first
 * sub-words. With two terms each (full and initials), one token adds at most 16 terms,
 * whatever jieba does, so the index grows linearly with the text.
 */
export const MAX_PINYIN_WORDS_PER_TOKEN = 8;

/**
 * Cached word readings per generation (about 150 bytes each, two generations: ~2.5 MB at
 * most, of a worker heap limited to 32-48 MB). Frequent words must survive a full cache
 * (the dev corpus has 76 K distinct Han words): when the young generation fills up it
 * becomes the old one, and a hit in the old one is promoted. Misses are cheap for most
 * words anyway (read character by character, see syllablesOf).
 */
const READING_CACHE_ENTRIES = 8192;

/** A Han word of two characters or more, nothing else (mixed words like c语言 get no pinyin). */
const HAN_WORD = /^\p{Script=Han}{2,}$/u;

export function pinyinTerm(syllables: string): string {
  return PINYIN_PREFIX + syllables;
}

export function initialsTerm(initials: string): string {
  return INITIALS_PREFIX + initials;
}

/** Toneless pinyin syllables, ü written v as IMEs type it (nv, lve); interjections (m, ng, hng) left out. */
const SYLLABLES = new Set(
  (
    'a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce cen ' +
    'ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo ci ' +
    'cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao die ding diu dong dou du ' +
    'duan dui dun duo e ei en eng er fa fan fang fei fen feng fo fou fu ga gai gan gang gao ge gei gen geng gong ' +
    'gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang ' +
    'hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken ' +
    'keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei leng li lia lian liang liao lie ' +
    'lin ling liu lo long lou lu luan lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie min ' +
    'ming miu mo mou mu na nai nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan ' +
    'nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao ' +
    'qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai ' +
    'san sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang ' +
    'shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te tei teng ti tian tiao tie ting tong ' +
    'tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu ' +
    'xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng ' +
    'zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi ' +
    'zong zou zu zuan zui zun zuo '
  )
    .split(' ')
    .filter((s) => s !== ''),
);
const MAX_SYLLABLE_CHARS = 6;

/**
 * Whether `text` (lower-case a-z) splits into pinyin syllables: `neicun`, `xian`, `zhongguo`
 * do, `grep` and `nc` do not. Dynamic programming over end offsets, linear in the length.
 */
export function isPinyin(text: string): boolean {
  if (text.length === 0 || !/^[a-z]+$/.test(text)) return false;
  const reachable = new Uint8Array(text.length + 1);
  reachable[0] = 1;
  for (let i = 0; i < text.length; i++) {
    if (reachable[i] === 0) continue;
    for (let len = 1; len <= MAX_SYLLABLE_CHARS && i + len <= text.length; len++) {
      if (SYLLABLES.has(text.slice(i, i + len))) reachable[i + len] = 1;
    }
  }
  return reachable[text.length] === 1;
}

type PinyinFn = (text: string, options: { toneType: 'none'; type: 'array'; v: boolean; multiple?: boolean }) => string[];

/** Bound on cached character readings: a text rarely uses more than 8 K distinct characters. */
const CHAR_CACHE_ENTRIES = 16_384;

let pinyinFn: PinyinFn | null = null;

/**
 * pinyin-pro is loaded on first use only (~100 ms, ~15 MB resident of which ~4 MB V8 heap):
 * an index without the pinyin option never pays for it. It is CommonJS, so a synchronous
 * require keeps Analyzer.load synchronous.
 */
function loadPinyin(): PinyinFn {
  pinyinFn ??= (createRequire(import.meta.url)('pinyin-pro') as { pinyin: PinyinFn }).pinyin;
  return pinyinFn;
}

/** A word's full pinyin and initials terms, or null when it has none. */
export interface WordReading {
  full: string;
  initials: string;
}

/**
 * Readings of Han words, one per word: pinyin-pro picks the reading of a polyphone from its
 * word list (重庆 chongqing, 银行 yinhang), so one word gives exactly one full term and one
 * initials term, never the cross product of its characters' readings.
 */
export class PinyinReader {
  /** A character's only toneless reading, or '' if it has several (a polyphone) or none. */
  private readonly chars = new Map<string, string>();
  private young = new Map<string, WordReading | null>();
  private old = new Map<string, WordReading | null>();
  private readonly pinyin = loadPinyin();

  /** The reading of a simplified Han word of 2 to 16 characters; null for anything else. */
  read(word: string): WordReading | null {
    const cached = this.young.get(word);
    if (cached !== undefined) return cached;
    const aged = this.old.get(word);
    if (aged !== undefined) {
      this.remember(word, aged);
      return aged;
    }
    let reading: WordReading | null = null;
    if (word.length <= MAX_PINYIN_WORD_CHARS * 2 && HAN_WORD.test(word)) {
      const syllables = this.syllablesOf(word);
      if (syllables.length <= MAX_PINYIN_WORD_CHARS && syllables.every((s) => SYLLABLES.has(s))) {
        reading = { full: pinyinTerm(syllables.join('')), initials: initialsTerm(syllables.map((s) => s[0]).join('')) };
      }
    }
    this.remember(word, reading);
    return reading;
  }

  /**
   * Words without a polyphone are read character by character from a cache; only the rest
   * ask pinyin-pro, which reads a polyphone from its word list (~10-30 µs a call). On the dev
   * corpus 73% of the 76 K distinct Han words take the fast path, with the same readings
   * as pinyin-pro gives for the whole word (all 55,994 compared).
   */
  private syllablesOf(word: string): string[] {
    const out: string[] = [];
    for (const c of word) {
      let reading = this.chars.get(c);
      if (reading === undefined) {
        const all = new Set(this.pinyin(c, { toneType: 'none', type: 'array', v: true, multiple: true }));
        reading = all.size === 1 ? ([...all][0] as string) : '';
        if (this.chars.size >= CHAR_CACHE_ENTRIES) this.chars.clear();
        this.chars.set(c, reading);
      }
      if (reading === '') return this.pinyin(word, { toneType: 'none', type: 'array', v: true });
      out.push(reading);
    }
    return out;
  }

  private remember(word: string, reading: WordReading | null): void {
    if (this.young.size >= READING_CACHE_ENTRIES) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(word, reading);
  }
}
