/**
 * The platform-wide webhook (WEBHOOK_URL, WEBHOOK_SECRET): the operator's feed of every outbox
 * event of every organisation. Signed exactly like organisations' webhooks
 * (platform/events/webhook-signature.ts: X-Imgplane-Signature over timestamp and body), with the
 * event id as delivery id and idempotency key. Retries are the outbox's: a non-2xx answer fails
 * the event, which is retried for every consumer.
 */
import { eventDocument } from '../../platform/events/event.ts';
import { webhookHeaders } from '../../platform/events/webhook-signature.ts';
import type { WebhookTarget } from '../config.ts';
import type { EventConsumer } from './types.ts';

const TIMEOUT_MS = 5_000;

export function webhookConsumer(target: WebhookTarget, nowSeconds: () => number = () => Math.floor(Date.now() / 1000)): EventConsumer {
  return {
    name: 'webhook',
    async handle(event) {
      const body = eventDocument(event);
      const response = await fetch(target.url, {
        method: 'POST',
        headers: webhookHeaders(target.secret, { eventId: event.id, eventType: event.type, deliveryId: event.id, body, timestamp: nowSeconds() }),
        body,
        // A redirect is a misconfiguration to report, not a reason to post the event elsewhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.status < 200 || response.status > 299) throw new Error(`answered HTTP ${response.status}`);
    },
  };
}
