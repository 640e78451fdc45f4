/**
 * The in-process variant cache: the first layer of every image request, so its `get` and `set`
 * are synchronous (a memory hit must not await anything). Bounded by bytes, not entries, because
 * variants range from a few hundred bytes to megabytes.
 *
 * By default a variant is kept from its second request on (a "doorkeeper", as in TinyLFU): the
 * first `set` of a key only notes the key. A crawler or a page of one-off sizes would otherwise
 * fill the budget with variants nobody asks for again, evicting the hot ones and holding the
 * whole budget in RSS; those still reach clients from Redis or storage.
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
  /**
   * When a variant is kept (default `second-request`): `first-request` keeps every variant set,
   * for a process whose every variant is hot (and nothing below it is quicker than a render).
   */
  admission?: MemoryCacheAdmission;
}

export const MEMORY_CACHE_ADMISSIONS = ['first-request', 'second-request'] as const;
export type MemoryCacheAdmission = (typeof MEMORY_CACHE_ADMISSIONS)[number];

export interface MemoryCacheStats {
  entries: number;
  bytes: number;
}

/** Approximate cost of an entry beyond its bytes: LRU node, object, strings' headers. */
const ENTRY_OVERHEAD_BYTES = 128;

/**
 * How many keys seen once the doorkeeper remembers: about one per 16 KiB of budget (a small
 * variant), within bounds, so its own memory stays near 1% of the budget (a key is ~100 bytes).
 */
function doorkeeperKeys(maxBytes: number): number {
  return Math.min(65_536, Math.max(1_024, Math.floor(maxBytes / 16_384)));
}

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
  /** Keys `set` once and not kept yet; undefined when every variant is kept at once. */
  readonly #seenOnce: LRUCache<string, true> | undefined;

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
    if ((options.admission ?? 'second-request') === 'second-request') {
      this.#seenOnce = new LRUCache<string, true>({ max: doorkeeperKeys(options.maxBytes) });
    }
  }

  get(key: string): CachedVariant | undefined {
    return this.#lru?.get(key);
  }

  /**
   * Stores the variant unless it exceeds the per-entry cap (then any older entry is dropped), or
   * unless this is the first `set` of its key under second-request admission.
   */
  set(key: string, value: CachedVariant): void {
    if (!this.#lru) return;
    if (this.#seenOnce && !this.#lru.has(key) && !this.#seenOnce.delete(key)) {
      this.#seenOnce.set(key, true);
      return;
    }
    const body = ownBytes(value.body);
    this.#lru.set(key, body === value.body ? value : { ...value, body });
  }

  /** Forgets the variant, and that it was seen: a purged variant starts over. */
  delete(key: string): void {
    this.#lru?.delete(key);
    this.#seenOnce?.delete(key);
  }

  clear(): void {
    this.#lru?.clear();
    this.#seenOnce?.clear();
  }

  stats(): MemoryCacheStats {
    return { entries: this.#lru?.size ?? 0, bytes: this.#lru?.calculatedSize ?? 0 };
  }
}
