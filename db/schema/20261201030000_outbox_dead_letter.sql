-- migrate:up
-- The outbox gives up on an event after a bounded number of attempts (worker/tasks/outbox-dispatch.ts)
-- and keeps it, dead-lettered, for an operator to inspect and requeue.
alter table imgplane.events add column dead_at timestamptz;
comment on column imgplane.events.dead_at is 'Set when the dispatcher gave up after its maximum number of attempts (dead letter); requeue with `update imgplane.events set dead_at = null, attempts = 0, available_at = now() where id = ...`.';
comment on column imgplane.events.available_at is 'Not delivered before this time: the retry backoff, and while a dispatcher delivers it, the end of its claim (lease).';

-- The claim reads exactly this: pending, due, oldest first.
drop index imgplane.events_undelivered_idx;
create index events_claim_idx on imgplane.events (available_at, id) where delivered_at is null and dead_at is null;
-- Retention deletes settled events (delivered or dead-lettered) older than a cutoff.
create index events_settled_idx on imgplane.events ((coalesce(delivered_at, dead_at)))
  where delivered_at is not null or dead_at is not null;

-- migrate:down
drop index imgplane.events_settled_idx;
drop index imgplane.events_claim_idx;
create index events_undelivered_idx on imgplane.events (available_at, id) where delivered_at is null;
alter table imgplane.events drop column dead_at;
