import type { PostingColumns } from '../store/postings-codec.js';

/** Bytes of decoded postings kept across queries (20 bytes a posting). */
export const POSTINGS_CACHE_BYTES = 16 * 2 ** 20;
/** Shorter lists decode in microseconds: only longer ones are worth a place. */
export const POSTINGS_CACHE_MIN = 2048;

/**
 * Decoded postings of frequent terms, by shard and term, for the shard's current version
 * (a commit changes the version and so misses). Common words recur across queries and are
 * the costly ones to decode, so a small LRU bounded in bytes saves most of the decoding.
 * Cached columns are shared: nobody may write to them (`isShared`).
 */
export class PostingsCache {
  private readonly entries = new Map<string, PostingColumns>();
  private readonly shared = new WeakSet<PostingColumns>();
  private bytes = 0;

  constructor(private readonly maxBytes = POSTINGS_CACHE_BYTES) {}

  private static key(shard: number, version: number, term: string): string {
    return `${shard}\u0000${version}\u0000${term}`;
  }

  get(shard: number, version: number, term: string): PostingColumns | undefined {
    const key = PostingsCache.key(shard, version, term);
    const cols = this.entries.get(key);
    if (cols !== undefined) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, cols);
    }
    return cols;
  }

  /** The cached postings, without counting as a use. */
  peek(shard: number, version: number, term: string): PostingColumns | undefined {
    return this.entries.get(PostingsCache.key(shard, version, term));
  }

  /** Keeps `cols` if it is large enough and fits; from then on it is shared. */
  offer(shard: number, version: number, term: string, cols: PostingColumns): void {
    const size = cols.length * 20;
    if (cols.length < POSTINGS_CACHE_MIN || size > this.maxBytes / 4) return;
    while (this.bytes + size > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.bytes -= ((this.entries.get(oldest.value) as PostingColumns).length ?? 0) * 20;
      this.entries.delete(oldest.value);
    }
    this.entries.set(PostingsCache.key(shard, version, term), cols);
    this.shared.add(cols);
    this.bytes += size;
  }

  isShared(cols: PostingColumns): boolean {
    return this.shared.has(cols);
  }
}
