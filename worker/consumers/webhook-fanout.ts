/**
 * Turns each outbox event into webhook deliveries for the organisation's matching endpoints
 * (platform/events/webhook-deliveries.ts). Only database work: each delivery then retries on its
 * own schedule, so one slow endpoint never holds the outbox back. Idempotent (one delivery per
 * endpoint and event).
 */
import type { WebhookDeliveries } from '../../platform/events/webhook-deliveries.ts';
import type { EventConsumer } from './types.ts';

export function webhookFanOutConsumer(deliveries: Pick<WebhookDeliveries, 'fanOut'>): EventConsumer {
  return {
    name: 'webhooks',
    async handle(event) {
      await deliveries.fanOut(event);
    },
  };
}
