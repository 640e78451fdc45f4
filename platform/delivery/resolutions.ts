/**
 * What an image URL resolved to (space, asset version, plan, variant key), remembered so the next
 * request for the same URL costs one lookup instead of parsing, two catalog lookups, preset
 * expansion, planning, canonicalization and a SHA-256. Owned by the DeliveryCatalog and forgotten
 * with the catalog entries it came from: `forgetAsset` drops that asset's resolutions, a policy or
 * preset change (`forgetSpaces`) and missed invalidations drop them all, and no entry outlives the
 * catalog entries' own lifetime.
 *
 * The key is the URL path plus the identity the asset was looked up as (private URLs: verified
 * first, every time, then looked up here under their claims). A URL whose plan reads request
 * headers (`fmt_auto`: Accept; `ch`: client hints) is remembered per value of those headers.
 */
import { LRUCache } from 'lru-cache';
import type { DeliveryPath } from '../../core/delivery-path.ts';
import type { VariantPlan } from '../../core/ops/index.ts';
import type { Claims } from '../request-context.ts';
import type { AssetVersion, SpaceContext } from './catalog.ts';

export interface Resolution {
  path: DeliveryPath;
  space: SpaceContext;
  asset: AssetVersion;
  plan: VariantPlan;
  /** The variant's key (variantKey of the plan's canonical string, content hash and format). */
  variantKey: string;
  /** The variant's key in the caches, scoped to its organisation (cache-key.ts), built once. */
  cacheKey: string;
  /** The plan in the next accepted format, for fmt_auto AVIFs answered later (computed on first use). */
  standIn: () => VariantPlan | undefined;
  /** Response headers that depend on the asset only (cache tags). */
  assetHeaders: Readonly<Record<string, string>>;
}

/** The request headers a plan may read, as the resolution key needs them. */
export interface ResolutionHeaders {
  accept?: string;
  'sec-ch-dpr'?: string | string[];
  'sec-ch-width'?: string | string[];
  'save-data'?: string | string[];
}

/** Stands at the path's key when the resolution depends on headers: look again with them. */
const PER_HEADERS = Symbol('per-headers');

export class ResolutionCache {
  readonly #entries: LRUCache<string, Resolution | typeof PER_HEADERS>;
  /** Asset id → keys resolved to it, so `forgetAsset` need not scan every entry. */
  readonly #byAsset = new Map<string, Set<string>>();

  constructor(max = 50_000) {
    this.#entries = new LRUCache({
      max,
      // Expiry or eviction of an entry also drops it from the asset index.
      dispose: (value, key) => {
        if (value !== PER_HEADERS) this.#unindex(value.asset.assetId, key);
      },
    });
  }

  get(pathname: string, claims: Claims, headers: ResolutionHeaders): Resolution | undefined {
    const base = baseKey(pathname, claims);
    const entry = this.#entries.get(base);
    if (entry !== PER_HEADERS) return entry;
    const resolved = this.#entries.get(headersKey(base, headers));
    return resolved === PER_HEADERS ? undefined : resolved;
  }

  /** Remembers a resolution for at most `ttlMs` (what is left of its catalog entries' lifetime). */
  set(pathname: string, claims: Claims, headers: ResolutionHeaders, resolution: Resolution, ttlMs: number): void {
    if (!(ttlMs > 0)) return;
    const base = baseKey(pathname, claims);
    const readsHeaders = resolution.plan.negotiated || resolution.plan.clientHints;
    const key = readsHeaders ? headersKey(base, headers) : base;
    if (readsHeaders) this.#entries.set(base, PER_HEADERS, { ttl: ttlMs });
    this.#entries.set(key, resolution, { ttl: ttlMs });
    const keys = this.#byAsset.get(resolution.asset.assetId) ?? new Set<string>();
    keys.add(key);
    this.#byAsset.set(resolution.asset.assetId, keys);
  }

  forgetAsset(assetId: string): void {
    for (const key of [...(this.#byAsset.get(assetId) ?? [])]) this.#entries.delete(key);
    this.#byAsset.delete(assetId);
  }

  clear(): void {
    this.#entries.clear();
    this.#byAsset.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #unindex(assetId: string, key: string): void {
    const keys = this.#byAsset.get(assetId);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.#byAsset.delete(assetId);
  }
}

function baseKey(pathname: string, claims: Claims): string {
  return claims.role === 'imgplane_anonymous' ? pathname : `${pathname}\n${claims.role}|${claims.organizationId ?? ''}|${claims.tenantId ?? ''}`;
}

const text = (value: string | string[] | undefined) => (typeof value === 'string' ? value : (value?.[0] ?? ''));

function headersKey(base: string, headers: ResolutionHeaders): string {
  return `${base}\n${headers.accept ?? ''}\n${text(headers['sec-ch-dpr'])}\n${text(headers['sec-ch-width'])}\n${text(headers['save-data'])}`;
}
