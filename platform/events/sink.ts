/**
 * A message broker that outbox events are published to, so other systems can consume them
 * without HTTP. One interface for every broker (RabbitMQ today; SQS or Pub/Sub would be other
 * implementations): `publish` resolves only once the broker has taken responsibility for the
 * message (a publisher confirm, an SQS 200), so the outbox may mark the event delivered.
 */
import type { PlatformEvent } from './event.ts';

export interface EventSink {
  /** Short name, prefixed to errors recorded on the event. */
  readonly name: string;
  /** Resolves once the broker confirmed the message; rejects to have the event retried. */
  publish(event: PlatformEvent): Promise<void>;
  close(): Promise<void>;
}
