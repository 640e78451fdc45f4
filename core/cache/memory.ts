/**
 * The in-process variant cache: the first layer of every image request, so its `get` and `set`
 * are synchronous (a memory hit must not await anything). Bounded by bytes, not entries, because
 * variants range from a few hundred bytes to megabytes.
 */
import { LRUCache } from 'lru-cache';
import type { CachedVariant } from './types.ts';

export interface MemoryVariantCacheOptions {
  /**
   * Total budget for bodies plus bookkeeping, in bytes. 0 turns the cache off (every request
   * goes on to Redis or storage: instances that must not hold variants, and the bench's Redis-hit
   * and storage-hit scenarios).
   */
  maxBytes: number;
  /**
   * Largest share of the budget one entry may take (default 0.1): a single huge variant would
   * otherwise evict hundreds of small hot ones.
   */
  maxEntryFraction?: number;
}

export interface MemoryCacheStats {
  entries: number;
  bytes: number;
}

/** Approximate cost of an entry beyond its bytes: LRU node, object, strings' headers. */
const ENTRY_OVERHEAD_BYTES = 128;

export function memoryEntrySize(key: string, value: CachedVariant): number {
  return value.body.length + value.contentType.length + value.etag.length + key.length + ENTRY_OVERHEAD_BYTES;
}

/**
 * A body that is a small view into a much larger allocation (a Redis reply pool, a socket read)
 * would pin all of it while the byte budget counts only the view: keep an exact copy instead.
 */
function ownBytes(body: Buffer): Buffer {
  return body.buffer.byteLength > body.length * 2 ? Buffer.from(body) : body;
}

export class MemoryVariantCache {
  readonly #lru: LRUCache<string, CachedVariant> | undefined;

  constructor(options: MemoryVariantCacheOptions) {
    const fraction = options.maxEntryFraction ?? 0.1;
    if (!(options.maxBytes >= 0) || !(fraction > 0 && fraction <= 1)) {
      throw new RangeError('MemoryVariantCache needs maxBytes >= 0 and 0 < maxEntryFraction <= 1');
    }
    if (options.maxBytes === 0) return;
    this.#lru = new LRUCache<string, CachedVariant>({
      maxSize: options.maxBytes,
      maxEntrySize: Math.max(1, Math.floor(options.maxBytes * fraction)),
      sizeCalculation: (value, key) => memoryEntrySize(key, value),
    });
  }

  get(key: string): CachedVariant | undefined {
    return this.#lru?.get(key);
  }

  /** Stores the variant unless it exceeds the per-entry cap (then any older entry is dropped). */
  set(key: string, value: CachedVariant): void {
    if (!this.#lru) return;
    const body = ownBytes(value.body);
    this.#lru.set(key, body === value.body ? value : { ...value, body });
  }

  delete(key: string): void {
    this.#lru?.delete(key);
  }

  clear(): void {
    this.#lru?.clear();
  }

  stats(): MemoryCacheStats {
    return { entries: this.#lru?.size ?? 0, bytes: this.#lru?.calculatedSize ?? 0 };
  }
}
