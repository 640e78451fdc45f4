/**
 * POSTs every outbox event to the configured webhook, signed so the receiver can check it came
 * from us: `X-Imgplane-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. Delivery is at least
 * once; `X-Imgplane-Delivery` (the event id) lets the receiver drop repeats.
 */
import { createHmac } from 'node:crypto';
import type { WebhookTarget } from '../config.ts';
import type { EventConsumer, OutboxEvent } from './types.ts';

const TIMEOUT_MS = 5_000;

export function webhookBody(event: OutboxEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    organizationId: event.organizationId,
    tenantId: event.tenantId,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    payload: event.payload,
    createdAt: event.createdAt.toISOString(),
  });
}

export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function webhookConsumer(target: WebhookTarget): EventConsumer {
  return {
    name: 'webhook',
    async handle(event) {
      const body = webhookBody(event);
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-imgplane-event': event.type,
          'x-imgplane-delivery': event.id,
          'x-imgplane-signature': webhookSignature(target.secret, body),
        },
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
