-- migrate:up
-- The outbox claim skips an event while an earlier one of the same aggregate is pending
-- (worker/tasks/outbox-dispatch.ts): this index answers that look-up.
create index events_pending_aggregate_idx on imgplane.events (aggregate_type, aggregate_id, id)
  where delivered_at is null and dead_at is null;

-- migrate:down
drop index imgplane.events_pending_aggregate_idx;
