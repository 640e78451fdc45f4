/**
 * An outbox event as the platform's event services see it (webhooks, broker sinks, CDN purge).
 * The worker's OutboxEvent (worker/consumers/types.ts) has this shape, so consumers pass theirs.
 */
export interface PlatformEvent {
  /** `imgplane.events.id`, a bigint kept as a string. Unique and stable: the idempotency key. */
  id: string;
  organizationId: string | null;
  tenantId: string | null;
  /** `<resource>.<verb>`, for example `asset.created`. */
  type: string;
  aggregateType: string;
  aggregateId: string | null;
  payload: Readonly<Record<string, unknown>>;
  createdAt: Date;
}

/** The JSON document every channel carries (webhook body, broker message body). */
export function eventDocument(event: PlatformEvent): string {
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
