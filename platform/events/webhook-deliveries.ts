/**
 * Webhook delivery: an outbox event becomes one delivery per matching enabled endpoint of its
 * organisation (`fanOut`, idempotent), and each delivery is attempted by the `webhook_deliver`
 * job (`attempt`) until an endpoint answers 2xx, with exponential backoff between attempts and
 * `failed` after the last. Every attempt is a row in the delivery log. The database schedules the
 * jobs (trigger on webhook_deliveries), so this module never talks to the queue itself.
 */
import type pg from 'pg';
import { openSecret } from '../../core/envelope.ts';
import { sendOutbound, type OutboundPolicy } from '../outbound-http.ts';
import { WORKER, withClaims } from '../request-context.ts';
import { eventDocument, type PlatformEvent } from './event.ts';
import { webhookHeaders } from './webhook-signature.ts';

/** Must match the trigger in db/functions/850_webhooks_cdn_purge.sql. */
export const WEBHOOK_DELIVER_TASK = 'webhook_deliver';

export interface WebhookDeliveryJob {
  deliveryId: string;
}

export interface WebhookRetrySettings {
  /** Attempts before a delivery is `failed` (a replay adds one more). */
  maxAttempts: number;
  /** Delay after the first failed attempt; it doubles per attempt up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long one POST may take. */
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_RETRY: Readonly<WebhookRetrySettings> = Object.freeze({
  maxAttempts: 10,
  baseDelayMs: 30_000,
  maxDelayMs: 6 * 3_600_000,
  timeoutMs: 10_000,
});

/** Delay after the nth failed attempt (1-based): base, 2 x base, 4 x base, ... at most maxDelayMs. */
export function webhookRetryDelayMs(attempt: number, settings: WebhookRetrySettings): number {
  return Math.min(settings.baseDelayMs * 2 ** Math.max(attempt - 1, 0), settings.maxDelayMs);
}

export type AttemptOutcome = 'delivered' | 'retrying' | 'failed' | 'skipped';

interface ClaimedDelivery {
  id: string;
  organization_id: string;
  event_id: string;
  event_type: string;
  body: string;
  attempts: number;
  url: string;
  enabled: boolean;
  secret_ciphertext: string;
}

const FAN_OUT = `
  insert into imgplane.webhook_deliveries (organization_id, endpoint_id, event_id, event_type, body)
  select w.organization_id, w.id, $2, $3, $4
    from imgplane.webhook_endpoints w
   where w.organization_id = $1
     and w.enabled
     and (cardinality(w.event_types) = 0 or $3 = any (w.event_types) or split_part($3, '.', 1) || '.*' = any (w.event_types))
  on conflict (endpoint_id, event_id) do nothing`;

// A lease: a worker that dies mid-attempt leaves the delivery due again (and its job rescheduled by
// the trigger) once the lease is over, so no delivery is lost; a duplicate job finds nothing due.
const CLAIM = `
  update imgplane.webhook_deliveries d
     set next_attempt_at = clock_timestamp() + make_interval(secs => $2)
    from imgplane.webhook_endpoints w
   where d.id = $1 and w.id = d.endpoint_id and d.status = 'pending' and d.next_attempt_at <= clock_timestamp()
  returning d.id, d.organization_id, d.event_id, d.event_type, d.body, d.attempts, w.url, w.enabled, w.secret_ciphertext`;

const RECORD_ATTEMPT = `
  insert into imgplane.webhook_delivery_attempts (organization_id, delivery_id, attempt, started_at, duration_ms, status_code, error, succeeded)
  values ($1, $2, $3, $4, $5, $6, $7, $8)`;

const RECORD_OUTCOME = `
  update imgplane.webhook_deliveries
     set attempts = $2, status = $3, last_status_code = $4, last_error = $5,
         next_attempt_at = case when $3 = 'pending' then clock_timestamp() + make_interval(secs => $6) else next_attempt_at end,
         delivered_at = case when $3 = 'delivered' then clock_timestamp() else delivered_at end
   where id = $1`;

const MAX_ERROR_LENGTH = 1_000;

export class WebhookDeliveries {
  constructor(
    private readonly pool: pg.Pool,
    private readonly masterKey: Buffer | undefined,
    private readonly outbound: OutboundPolicy,
    private readonly retry: WebhookRetrySettings = DEFAULT_WEBHOOK_RETRY,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** One delivery per matching endpoint; a repeated event adds none (at-least-once safe). */
  async fanOut(event: PlatformEvent): Promise<number> {
    if (event.organizationId === null) return 0;
    const inserted = await withClaims(this.pool, WORKER, (client) =>
      client.query(FAN_OUT, [event.organizationId, event.id, event.type, eventDocument(event)]),
    );
    return inserted.rowCount ?? 0;
  }

  /** Makes the attempt that is due for a delivery, if one is, and records its outcome. */
  async attempt(deliveryId: string): Promise<AttemptOutcome> {
    const leaseSeconds = Math.ceil(this.retry.timeoutMs / 1000) * 3 + 30;
    const claimed = await withClaims(this.pool, WORKER, async (client) => {
      const result = await client.query<ClaimedDelivery>(CLAIM, [deliveryId, leaseSeconds]);
      return result.rows[0];
    });
    if (!claimed) return 'skipped';
    const attempt = claimed.attempts + 1;
    const startedAt = new Date();
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    if (!claimed.enabled) {
      error = 'endpoint disabled';
    } else {
      try {
        const secret = openSecret(this.requireKey(), claimed.secret_ciphertext).toString('utf8');
        const headers = webhookHeaders(secret, {
          eventId: claimed.event_id,
          eventType: claimed.event_type,
          deliveryId: claimed.id,
          body: claimed.body,
          timestamp: this.nowSeconds(),
        });
        const response = await sendOutbound(
          { method: 'POST', url: claimed.url, headers, body: claimed.body, timeoutMs: this.retry.timeoutMs },
          this.outbound,
        );
        statusCode = response.status;
        if (response.status < 200 || response.status > 299) error = `answered HTTP ${response.status}`;
      } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught);
      }
    }
    const durationMs = Math.round(performance.now() - started);
    const outcome: AttemptOutcome =
      error === null ? 'delivered' : !claimed.enabled || attempt >= this.retry.maxAttempts ? 'failed' : 'retrying';
    const status = outcome === 'retrying' ? 'pending' : outcome;
    const truncated = error?.slice(0, MAX_ERROR_LENGTH) ?? null;
    await withClaims(this.pool, WORKER, async (client) => {
      await client.query(RECORD_ATTEMPT, [claimed.organization_id, claimed.id, attempt, startedAt, durationMs, statusCode, truncated, error === null]);
      await client.query(RECORD_OUTCOME, [claimed.id, attempt, status, statusCode, truncated, webhookRetryDelayMs(attempt, this.retry) / 1000]);
    });
    return outcome;
  }

  private requireKey(): Buffer {
    if (!this.masterKey) throw new Error('IMGPLANE_MASTER_KEY is not configured: webhook secrets cannot be opened');
    return this.masterKey;
  }
}
