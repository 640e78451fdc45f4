/**
 * What the outbox dispatcher hands to each consumer: one committed `imgplane.events` row. Delivery
 * is at least once (a failure anywhere retries the event for every consumer), so every consumer
 * must be idempotent.
 */

export interface OutboxEvent {
  /** `imgplane.events.id`, a bigint: kept as a string so no precision is lost. */
  id: string;
  organizationId: string | null;
  tenantId: string | null;
  /** `<resource>.<created|updated|deleted>`, for example `asset.created`. */
  type: string;
  aggregateType: string;
  aggregateId: string | null;
  /** The row after the change (before it, for deletions), secret columns removed. */
  payload: Readonly<Record<string, unknown>>;
  createdAt: Date;
  /** Delivery attempts made before this one. */
  attempts: number;
}

export interface EventConsumer {
  /** Short name, prefixed to its errors in `imgplane.events.last_error`. */
  readonly name: string;
  /** Resolves once the event is handled; rejects to have it retried later. */
  handle(event: OutboxEvent): Promise<void>;
}
