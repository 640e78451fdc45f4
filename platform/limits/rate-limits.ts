/**
 * Rate limits of requests that cause work (variant misses, uploads, API and GraphQL calls), from
 * the organisation's policy (`rate_*_per_minute`, core/policy.ts). Every such request counts
 * against its organisation and against either its API key or, anonymous, its client address
 * within that organisation. Fixed one-minute windows counted atomically in Redis (one Lua script
 * per counter, rate-limiter-flexible) so the limit holds across instances; when Redis is absent or
 * unreachable each process counts in memory instead (the insurance limiter), never failing the
 * request. Memory-cache hits are not counted at all (the image route calls this only on a miss):
 * they cost nothing worth protecting, and a Redis round trip would cost them more than they do.
 */
import type { Redis } from 'ioredis';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ImgplaneError } from '../../core/errors.ts';
import type { Metrics } from '../metrics.ts';
import { Counters } from './counters.ts';
import type { OrganizationPolicies } from './organization-policies.ts';

/** Who caused the work: an API key of the organisation, or an anonymous client address. */
export interface WorkCaller {
  /** null for callers of no organisation (platform keys, anonymous GraphQL): platform defaults apply. */
  organizationId: string | null;
  /** null for an anonymous (public or signed-URL) request: limited per client address. */
  apiKeyId: string | null;
  clientAddress: string;
}

type PolicyName = 'rate_organization_per_minute' | 'rate_api_key_per_minute' | 'rate_anonymous_per_minute';

interface Bucket {
  /** Name in the RateLimit-Policy / RateLimit headers. */
  name: 'organization' | 'api_key' | 'anonymous';
  policy: PolicyName;
  key: string;
  quota: number;
  /** What the limit counts, for the 429 message. */
  counts: string;
}

interface Counted {
  bucket: Bucket;
  result: RateLimiterRes;
  refused: boolean;
}

export const RATE_WINDOW_SECONDS = 60;

export interface RateLimitsOptions {
  redis: Redis | undefined;
  policies: OrganizationPolicies;
  metrics: Metrics;
  /** RATE_LIMITS=off: admit everything, send no headers. */
  enabled: boolean;
  /** Redis key namespace; tests give each run its own. */
  keyPrefix?: string;
}

export class RateLimits {
  private readonly counters: Counters;

  constructor(private readonly options: RateLimitsOptions) {
    this.counters = new Counters(options.redis, options.keyPrefix ?? 'imgplane:rate');
  }

  /**
   * Counts one request; resolves with the RateLimit headers to send, or throws a 429 carrying
   * Retry-After, RateLimit-Policy and RateLimit when any of its buckets is exhausted.
   */
  async admit(caller: WorkCaller): Promise<Record<string, string>> {
    if (!this.options.enabled) return {};
    const policy = await this.options.policies.get(caller.organizationId);
    const buckets: Bucket[] = [
      caller.apiKeyId === null
        ? {
            name: 'anonymous',
            policy: 'rate_anonymous_per_minute',
            key: `${caller.organizationId ?? 'platform'}:${caller.clientAddress}`,
            quota: policy.rate_anonymous_per_minute,
            counts: 'anonymous work-causing requests per minute from one client address',
          }
        : {
            name: 'api_key',
            policy: 'rate_api_key_per_minute',
            key: caller.apiKeyId,
            quota: policy.rate_api_key_per_minute,
            counts: 'requests per minute with this API key',
          },
    ];
    if (caller.organizationId !== null) {
      buckets.push({
        name: 'organization',
        policy: 'rate_organization_per_minute',
        key: caller.organizationId,
        quota: policy.rate_organization_per_minute,
        counts: 'work-causing requests per minute for this organization',
      });
    }
    const counted = (await Promise.all(buckets.map((bucket) => this.count(bucket)))).filter((entry) => entry !== undefined);
    const headers = rateLimitHeaders(counted);
    const refused = counted.filter((entry) => entry.refused);
    if (refused.length === 0) return headers;

    for (const { bucket } of refused) this.options.metrics.limitRefusals.inc({ limit: bucket.policy });
    const retryAfterSeconds = Math.max(...refused.map(({ result }) => secondsUntilReset(result)));
    const { bucket } = refused[0]!;
    throw new ImgplaneError('rate_limited', `rate limit exceeded: ${bucket.quota} ${bucket.counts} (policy ${bucket.policy}); retry in ${retryAfterSeconds} s`, {
      detail: { limit: bucket.policy, quota: bucket.quota, window_seconds: RATE_WINDOW_SECONDS },
      retryAfterSeconds,
      headers,
    });
  }

  private async count(bucket: Bucket): Promise<Counted | undefined> {
    try {
      return { bucket, result: await this.limiter(bucket).consume(bucket.key), refused: false };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { bucket, result: rejection, refused: true };
      // Only reachable if the insurance limiter itself failed: a limit is protection, not a
      // dependency, so the request goes ahead uncounted rather than failing.
      return undefined;
    }
  }

  private limiter(bucket: Bucket): RateLimiterAbstract {
    // a key already over its limit is refused from memory for the rest of its window, so a flood
    // from one address does not become a flood of Redis calls
    return this.counters.get(bucket.name, bucket.quota, { durationSeconds: RATE_WINDOW_SECONDS, blockInMemory: true });
  }
}

function secondsUntilReset(result: RateLimiterRes): number {
  return Math.max(1, Math.ceil(result.msBeforeNext / 1000));
}

/**
 * RateLimit-Policy and RateLimit as in draft-ietf-httpapi-ratelimit-headers (-08 and later):
 * one structured-field item per bucket, `q` quota and `w` window in the policy, `r` remaining and
 * `t` seconds until the window resets in the current state.
 */
function rateLimitHeaders(counted: readonly Counted[]): Record<string, string> {
  if (counted.length === 0) return {};
  return {
    'ratelimit-policy': counted.map(({ bucket }) => `"${bucket.name}";q=${bucket.quota};w=${RATE_WINDOW_SECONDS}`).join(', '),
    ratelimit: counted
      .map(({ bucket, result }) => `"${bucket.name}";r=${Math.max(0, result.remainingPoints)};t=${secondsUntilReset(result)}`)
      .join(', '),
  };
}
