/**
 * The key of a variant in the memory and shared (Redis) caches: the variant key scoped to its
 * organisation, so no tenant can learn from cache timing what another one holds. Everything that
 * reads, fills or purges those caches builds keys here.
 */
export function variantCacheKey(organizationId: string, variantKey: string): string {
  return `${organizationId}:${variantKey}`;
}
