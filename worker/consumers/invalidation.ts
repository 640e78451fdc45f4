/**
 * Tells every server and worker process which cached lookups a change made stale, through
 * `pg_notify` (listened to by platform/invalidation.ts). Idempotent: forgetting twice is harmless.
 */
import type pg from 'pg';
import { INVALIDATION_CHANNEL, type InvalidationMessage } from '../../platform/invalidation.ts';
import type { EventConsumer, OutboxEvent } from './types.ts';

/** Which caches an event makes stale; undefined when it touches none. */
export function invalidationFor(event: OutboxEvent): InvalidationMessage | undefined {
  switch (event.aggregateType) {
    case 'asset':
      return event.aggregateId === null ? undefined : { kind: 'asset', id: event.aggregateId };
    // presets and policies are folded into each cached space context
    case 'preset':
    case 'policy':
      return { kind: 'space' };
    // a suspended (or reactivated) organization, tenant or space: delivery_context answers
    // differently now; uploads and API writes check the status in SQL on every request anyway
    case 'organization':
    case 'tenant':
    case 'space':
      return { kind: 'space' };
    case 'api_key':
    case 'signing_key':
      return { kind: 'keys' };
    default:
      return undefined;
  }
}

export function invalidationConsumer(pool: pg.Pool): EventConsumer {
  return {
    name: 'invalidation',
    async handle(event) {
      const message = invalidationFor(event);
      if (message) await pool.query('select pg_notify($1, $2)', [INVALIDATION_CHANNEL, JSON.stringify(message)]);
    },
  };
}
