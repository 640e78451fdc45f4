/** A rendered variant as caches keep it: the bytes plus what the HTTP answer needs. */
export interface CachedVariant {
  body: Buffer;
  contentType: string;
  /** Strong ETag value including quotes, derived from the variant's content hash. */
  etag: string;
}

/**
 * A shared byte cache (Redis). Never throws: when the backend is down, `get` answers undefined
 * and `set` does nothing, so delivery degrades to the layers below instead of failing.
 */
export interface SharedVariantCache {
  get(key: string): Promise<CachedVariant | undefined>;
  set(key: string, value: CachedVariant): Promise<void>;
  /** Forgets variants (a purge); resolves false when the backend could not be reached. */
  delete(keys: readonly string[]): Promise<boolean>;
  close(): Promise<void>;
}
