/**
 * The policy in force at organisation scope (rates and quotas are counted per organisation), from
 * `imgplane.policy_in_force(org, null, null)`, cached in-process like space contexts: a policy change made
 * here or announced by another process (platform/invalidation.ts, kind 'space') drops the cache.
 */
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import { resolvePolicy, type EffectivePolicy } from '../../core/policy.ts';

export class OrganizationPolicies {
  private readonly cache: LRUCache<string, Promise<EffectivePolicy>>;

  /** `workerPool`: connections that are imgplane_worker, which reads every organisation's policies. */
  constructor(
    private readonly workerPool: pg.Pool,
    ttlMs: number,
  ) {
    this.cache = new LRUCache({ max: 10_000, ttl: Math.max(ttlMs, 1) });
  }

  /** null: no organisation (platform keys, anonymous GraphQL): the platform defaults. */
  get(organizationId: string | null): Promise<EffectivePolicy> {
    const cacheKey = organizationId ?? '';
    let policy = this.cache.get(cacheKey);
    if (!policy) {
      policy = this.load(organizationId);
      this.cache.set(cacheKey, policy);
      // a failed lookup must not be remembered: the next request asks again
      policy.catch(() => this.cache.delete(cacheKey));
    }
    return policy;
  }

  forget(): void {
    this.cache.clear();
  }

  private async load(organizationId: string | null): Promise<EffectivePolicy> {
    // organization scope: tenant and space settings do not take part
    const { rows } = await this.workerPool.query<{ policy: Record<string, unknown> | null }>(
      'select imgplane.policy_in_force($1::uuid, null, null) as policy',
      [organizationId],
    );
    return resolvePolicy(rows[0]?.policy);
  }
}
