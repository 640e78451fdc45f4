/**
 * Quotas per organisation, from its policy (`quota_*`, core/policy.ts):
 * - daily: variants rendered and transform CPU time per UTC day. Counted like the rate limits
 *   (Redis across instances, memory when Redis is down) under a key per organisation and day;
 *   a counter that starts fresh (new day, Redis restarted) begins at the usage already recorded
 *   in usage_metrics, so restarting Redis does not lift a quota. Over quota a miss is 429 until
 *   midnight UTC; hits are still served (they never reach this).
 * - storage: bytes stored (originals and variants) and live assets, from storage_daily (kept by
 *   triggers). An upload that would pass either is 413 before anything is stored.
 * Concurrent requests may overshoot a quota by what is in flight; nothing else can.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ImgplaneError } from '../../core/errors.ts';
import type { Metrics } from '../metrics.ts';
import { Counters } from './counters.ts';
import type { OrganizationPolicies } from './organization-policies.ts';

export interface QuotasOptions {
  redis: Redis | undefined;
  /** imgplane_worker connections: usage_metrics and organization_storage() are read with them. */
  workerPool: pg.Pool;
  policies: OrganizationPolicies;
  metrics: Metrics;
  keyPrefix?: string;
  now?: () => Date;
}

/** Long enough to outlive its day in any time zone; the day is part of the key. */
const DAILY_KEY_TTL_SECONDS = 2 * 86_400;

type DailyCounter = 'variants' | 'cpu_ms';

export class Quotas {
  private readonly counters: Counters;
  private readonly now: () => Date;

  constructor(private readonly options: QuotasOptions) {
    this.counters = new Counters(options.redis, options.keyPrefix ?? 'imgplane:quota');
    this.now = options.now ?? (() => new Date());
  }

  /** Before rendering a variant: counts it, and refuses (429) once either daily quota is used up. */
  async admitRender(organizationId: string): Promise<void> {
    const policy = await this.options.policies.get(organizationId);
    const key = this.dailyKey(organizationId);
    const variants = this.limiter('variants', policy.quota_variants_per_day);
    const cpu = this.limiter('cpu_ms', policy.quota_transform_cpu_seconds_per_day * 1000);
    const counted = await countOrRefusal(variants.consume(key));
    const recorded = counted?.isFirstInDuration ? await this.startFromRecordedUsage(organizationId, key, variants, cpu) : 0;
    if (counted && counted.consumedPoints + recorded > variants.points) {
      this.refuseDaily('quota_variants_per_day', `${policy.quota_variants_per_day} variants rendered per day`);
    }
    const cpuUsedMs = (await countOrRefusal(cpu.get(key)))?.consumedPoints ?? 0;
    if (cpuUsedMs >= cpu.points) {
      this.refuseDaily('quota_transform_cpu_seconds_per_day', `${policy.quota_transform_cpu_seconds_per_day} transform CPU seconds per day`);
    }
  }

  /** After a render: its transform time counts against the CPU quota (fire and forget). */
  recordRender(organizationId: string, transformMs: number): void {
    const points = Math.round(transformMs);
    if (points <= 0) return;
    void this.options.policies
      .get(organizationId)
      .then((policy) => this.limiter('cpu_ms', policy.quota_transform_cpu_seconds_per_day * 1000).penalty(this.dailyKey(organizationId), points))
      .catch(() => {}); // a lost increment under-counts one render; it must never fail the response
  }

  /** Before storing an upload of `bytes`: refuses (413) when the organisation's storage quotas would be passed. */
  async admitUpload(organizationId: string, bytes: number, newAsset: boolean): Promise<void> {
    const policy = await this.options.policies.get(organizationId);
    const { rows } = await this.options.workerPool.query<{ storage_bytes: string; asset_count: string }>(
      'select storage_bytes, asset_count from imgplane.organization_storage($1)',
      [organizationId],
    );
    const stored = Number(rows[0]?.storage_bytes ?? 0);
    const assets = Number(rows[0]?.asset_count ?? 0);
    if (newAsset && assets + 1 > policy.quota_assets) {
      this.refuseUpload('quota_assets', `asset quota reached: the organization stores ${assets} of its ${policy.quota_assets} assets (policy quota_assets)`, {
        quota: policy.quota_assets,
        used: assets,
      });
    }
    if (stored + bytes > policy.quota_storage_bytes) {
      this.refuseUpload(
        'quota_storage_bytes',
        `storage quota exceeded: ${bytes} more bytes would bring the organization to ${stored + bytes} of its ${policy.quota_storage_bytes} bytes (policy quota_storage_bytes)`,
        { quota: policy.quota_storage_bytes, used: stored, requested: bytes },
      );
    }
  }

  private refuseUpload(limit: string, message: string, detail: Record<string, unknown>): never {
    this.options.metrics.limitRefusals.inc({ limit });
    throw new ImgplaneError('payload_too_large', message, { detail: { limit, ...detail } });
  }

  private refuseDaily(limit: string, what: string): never {
    this.options.metrics.limitRefusals.inc({ limit });
    const retryAfterSeconds = secondsUntilUtcMidnight(this.now());
    throw new ImgplaneError('rate_limited', `daily quota reached: ${what} for this organization (policy ${limit}); cached variants are still served, new ones again after midnight UTC`, {
      detail: { limit },
      retryAfterSeconds,
    });
  }

  /**
   * A counter that starts now (new day, Redis restarted or unreachable) begins at what
   * usage_metrics recorded; answers the variants added.
   */
  private async startFromRecordedUsage(organizationId: string, key: string, variants: RateLimiterAbstract, cpu: RateLimiterAbstract): Promise<number> {
    const { rows } = await this.options.workerPool
      .query<{ transforms: string; cpu_ms: string }>(
        `select coalesce(sum(transform_count), 0) as transforms, coalesce(sum(transform_cpu_ms), 0) as cpu_ms
           from imgplane.usage_metrics where organization_id = $1 and day = $2`,
        [organizationId, this.day()],
      )
      .catch(() => ({ rows: [] }));
    const transforms = Number(rows[0]?.transforms ?? 0);
    const cpuMs = Number(rows[0]?.cpu_ms ?? 0);
    await Promise.all([
      transforms > 0 ? countOrRefusal(variants.penalty(key, transforms)) : undefined,
      cpuMs > 0 ? countOrRefusal(cpu.penalty(key, cpuMs)) : undefined,
    ]);
    return transforms;
  }

  private day(): string {
    return this.now().toISOString().slice(0, 10);
  }

  private dailyKey(organizationId: string): string {
    return `${organizationId}:${this.day()}`;
  }

  private limiter(counter: DailyCounter, points: number): RateLimiterAbstract {
    return this.counters.get(counter, points, { durationSeconds: DAILY_KEY_TTL_SECONDS });
  }
}

/** The counter state whether or not it is over its points; undefined if no store answered. */
async function countOrRefusal(counting: Promise<RateLimiterRes | null>): Promise<RateLimiterRes | undefined> {
  try {
    return (await counting) ?? undefined;
  } catch (rejection) {
    return rejection instanceof RateLimiterRes ? rejection : undefined;
  }
}

function secondsUntilUtcMidnight(now: Date): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000));
}
