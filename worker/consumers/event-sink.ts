/**
 * Publishes every outbox event to a message broker (platform/events/sink.ts). A broker that is
 * down fails the event, which then waits in the outbox and is published when the broker is back;
 * the dispatcher hands events of one aggregate over in order, so consumers of the broker see each
 * asset's events in order too.
 */
import type { EventSink } from '../../platform/events/sink.ts';
import type { EventConsumer } from './types.ts';

export function eventSinkConsumer(sink: EventSink): EventConsumer {
  return {
    name: sink.name,
    handle: (event) => sink.publish(event),
  };
}
