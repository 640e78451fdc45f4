/**
 * Where a transform reads its original from. On local storage, the stored file itself. On a
 * remote store, a new variant is usually asked for shortly after its siblings (a page's responsive
 * widths, a fresh upload's presets), so recently used originals are kept in memory, bounded by
 * bytes: the next variant skips the storage round trip (tens of milliseconds on S3) and the
 * temp-file copy. Originals larger than the per-entry cap never enter
 * memory whole: they stream from storage to a temporary file that Sharp reads from disk.
 */
import { LRUCache } from 'lru-cache';
import type { ObjectStore } from '../../core/storage/types.ts';
import { withOriginalFile } from './original-file.ts';

export interface OriginalSourceOptions {
  /** Memory budget for cached originals; 0 disables the cache. */
  maxBytes: number;
  /** Largest original kept in memory (default an eighth of the budget). */
  maxEntryBytes?: number;
}

export class OriginalSource {
  private readonly cache: LRUCache<string, Buffer> | undefined;
  readonly maxEntryBytes: number;

  constructor(
    private readonly storage: ObjectStore,
    options: OriginalSourceOptions,
  ) {
    this.maxEntryBytes = options.maxEntryBytes ?? Math.floor(options.maxBytes / 8);
    this.cache =
      options.maxBytes > 0 && this.maxEntryBytes > 0
        ? new LRUCache<string, Buffer>({
            maxSize: options.maxBytes,
            maxEntrySize: this.maxEntryBytes,
            sizeCalculation: (bytes) => Math.max(bytes.length, 1),
          })
        : undefined;
  }

  /** Originals held in memory now, for the cache gauges. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.cache?.size ?? 0, bytes: this.cache?.calculatedSize ?? 0 };
  }

  /**
   * Runs `work` with the original: the stored file itself where storage is a local folder, else
   * as bytes (small, cached) or as a temporary file (large).
   */
  async use<T>(storageKey: string, sizeBytes: number, work: (input: Buffer | string) => Promise<T>): Promise<T> {
    // A path costs the transform process one read from the page cache; bytes would be copied
    // through IPC on every transform, and their allocations drive this process's garbage collector.
    if (this.storage.localFile) return work(await this.storage.localFile(storageKey));
    if (!this.cache || sizeBytes > this.maxEntryBytes) return withOriginalFile(this.storage, storageKey, work);
    let bytes = this.cache.get(storageKey);
    if (!bytes) {
      bytes = await this.storage.getBuffer(storageKey);
      this.cache.set(storageKey, bytes);
    }
    return work(bytes);
  }
}
