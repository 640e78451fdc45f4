/**
 * The limits tenants cannot lift, as the shells call them: rate limits (rate-limits.ts) and quotas
 * (quotas.ts), both read from the organisation's policy. Which requests pass through here:
 * - image deliveries that miss the memory cache: rates (per organisation and per client address
 *   or API key), and before a render the daily render quotas;
 * - uploads: rates, then the storage quotas once the size is known;
 * - REST API and GraphQL calls: rates.
 * Memory-cache hits never do: they are the cheap path the limits protect.
 */
import type { DeliveryGate } from '../delivery/variants.ts';
import type { OrganizationPolicies } from './organization-policies.ts';
import type { Quotas } from './quotas.ts';
import type { RateLimits, WorkCaller } from './rate-limits.ts';

export type { WorkCaller } from './rate-limits.ts';

export class Limits {
  constructor(
    private readonly rates: RateLimits,
    private readonly quotas: Quotas,
    private readonly policies: OrganizationPolicies,
  ) {}

  /** An API or GraphQL call: resolves with the RateLimit headers to send, or throws 429. */
  admitRequest(caller: WorkCaller): Promise<Record<string, string>> {
    return this.rates.admit(caller);
  }

  /**
   * The gate of one image delivery: rates when it misses the memory cache, render quotas before a
   * render. `onHeaders` receives the RateLimit headers of an admitted request.
   */
  deliveryGate(caller: WorkCaller, onHeaders: (headers: Record<string, string>) => void): DeliveryGate {
    return {
      beforeSlowPath: async () => {
        onHeaders(await this.rates.admit(caller));
      },
      beforeRender: async () => {
        if (caller.organizationId !== null) await this.quotas.admitRender(caller.organizationId);
      },
      // its transform time counts against the organisation's daily CPU quota
      afterRender: (transformMs) => {
        if (caller.organizationId !== null) this.quotas.recordRender(caller.organizationId, transformMs);
      },
    };
  }

  /** Once an upload's size is known, before it is stored: 413 over a storage quota. */
  admitUpload(organizationId: string, bytes: number, newAsset: boolean): Promise<void> {
    return this.quotas.admitUpload(organizationId, bytes, newAsset);
  }

  /** A policy changed somewhere: read organisation policies afresh. */
  forgetPolicies(): void {
    this.policies.forget();
  }
}
