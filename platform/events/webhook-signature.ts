/**
 * How webhook requests are signed (documented for receivers in docs/events.md):
 *
 *   X-Imgplane-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * Signing the timestamp with the body lets a receiver refuse old requests replayed by someone
 * who captured one (check that t is recent), and the constant-time comparison in
 * `verifyWebhookSignature` is the one receivers should copy.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-imgplane-signature';
export const SIGNATURE_VERSION = 'v1';

/** A new endpoint secret: 32 random bytes, prefixed so it is recognisable in a secrets scanner. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function webhookSignature(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},${SIGNATURE_VERSION}=${mac}`;
}

export interface SignedWebhook {
  eventId: string;
  eventType: string;
  /** Unique per delivery attempt target (an endpoint's delivery id, or the event id). */
  deliveryId: string;
  body: string;
  timestamp: number;
}

/** Every header a signed webhook request carries. */
export function webhookHeaders(secret: string, webhook: SignedWebhook): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'imgplane-webhooks/1',
    'x-imgplane-event': webhook.eventType,
    'x-imgplane-delivery': webhook.deliveryId,
    // the same on every retry and replay of one event: receivers drop what they already handled
    'x-imgplane-idempotency-key': webhook.eventId,
    'x-imgplane-timestamp': String(webhook.timestamp),
    [SIGNATURE_HEADER]: webhookSignature(secret, webhook.timestamp, webhook.body),
  };
}

/**
 * The receiver's check: the signature header matches the raw body under the secret and its
 * timestamp is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const fields = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(fields.get('t'));
  const given = fields.get(SIGNATURE_VERSION);
  if (!Number.isInteger(timestamp) || given === undefined || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  const actual = Buffer.from(given, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
