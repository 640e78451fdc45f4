/**
 * Cache tags on image responses, so a CDN purge can target every variant of an asset (or of a
 * space, or an organisation) at once. One tag vocabulary in the three headers CDNs read:
 * Cloudflare `Cache-Tag` (comma-separated), Fastly `Surrogate-Key` (space-separated), Akamai
 * `Edge-Cache-Tag` (comma-separated). Tags use only letters, digits and dashes, which every one
 * of them accepts (Akamai refuses colons). A deployment sends the headers of its CDN only with
 * CACHE_TAG_HEADERS (core/config.ts).
 */
import type { CacheTagHeader } from '../../core/config.ts';

export interface TaggedResource {
  organizationId: string;
  spaceId: string;
  assetId?: string;
}

export const organizationTag = (organizationId: string) => `imgp-org-${organizationId}`;
export const spaceTag = (spaceId: string) => `imgp-space-${spaceId}`;
export const assetTag = (assetId: string) => `imgp-asset-${assetId}`;

export function cacheTagsFor(resource: TaggedResource): string[] {
  const tags = [organizationTag(resource.organizationId), spaceTag(resource.spaceId)];
  if (resource.assetId !== undefined) tags.push(assetTag(resource.assetId));
  return tags;
}

/** The tags in each of `headers`, the ones CACHE_TAG_HEADERS names. */
export function cacheTagHeaders(tags: readonly string[], headers: readonly CacheTagHeader[]): Record<string, string> {
  const values: Record<CacheTagHeader, string> = {
    'cache-tag': tags.join(','),
    'surrogate-key': tags.join(' '),
    'edge-cache-tag': tags.join(','),
  };
  return Object.fromEntries(headers.map((name) => [name, values[name]]));
}
