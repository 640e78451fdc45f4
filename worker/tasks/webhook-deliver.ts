/**
 * `webhook_deliver`: the due attempt of one webhook delivery. Scheduled by the database (a
 * trigger on webhook_deliveries, at next_attempt_at); never throws for a failed attempt, because
 * the delivery keeps its own backoff and `failed` state rather than graphile-worker's.
 */
import type { Task } from 'graphile-worker';
import type { WebhookDeliveries, WebhookDeliveryJob } from '../../platform/events/webhook-deliveries.ts';

export function webhookDeliverTask(deliveries: Pick<WebhookDeliveries, 'attempt'>): Task {
  return async (payload, helpers) => {
    const { deliveryId } = payload as WebhookDeliveryJob;
    const outcome = await deliveries.attempt(deliveryId);
    if (outcome === 'failed') helpers.logger.warn(`webhook delivery ${deliveryId} failed after its last attempt`);
  };
}
