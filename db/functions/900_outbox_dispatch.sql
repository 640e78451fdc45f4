-- Wakes the outbox dispatcher (worker/tasks/outbox-dispatch.ts) when an event is committed.
--
-- The job is added by graphile_worker.add_job() in the same transaction as the event, so a
-- rolled-back change leaves neither, and a committed one is picked up within milliseconds (the
-- worker LISTENs for new jobs). The job key dedupes a burst into one pending job; one dispatcher
-- run delivers every due event, and the worker's cron sweep catches anything missed. Task name
-- and job key must match worker/tasks/outbox-dispatch.ts.
--
-- It is a constraint trigger deferred to COMMIT, not a plain AFTER trigger: every event-writing
-- transaction upserts the same job row, and holding that row lock from the first event to the end
-- of a long transaction would serialise concurrent writers and could deadlock two multi-row
-- transactions that also lock each other's rows. At COMMIT the lock is held for moments only.

create or replace function imgplane.tg_events__enqueue_dispatch() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  job_id bigint;
begin
  -- One job per transaction is enough: the dispatcher delivers every pending event of it.
  if current_setting('imgplane.outbox_dispatch_enqueued', true) = 'on' then
    return null;
  end if;
  -- Before the worker first runs its migrations there is no queue; its sweep finds these events.
  if to_regnamespace('graphile_worker') is null then
    return null;
  end if;
  -- Dynamic SQL so this function compiles, and keeps working, without graphile_worker installed.
  execute 'select (graphile_worker.add_job($1, job_key := $1)).id' using 'outbox_dispatch' into job_id;
  -- add_job adds nothing when a worker locks the keyed job between its own two statements; that
  -- run may be past its last look at the outbox before this commits, so add a job without a key.
  if job_id is null then
    execute 'select graphile_worker.add_job($1)' using 'outbox_dispatch';
  end if;
  perform set_config('imgplane.outbox_dispatch_enqueued', 'on', true);
  return null;
end
$$;
comment on function imgplane.tg_events__enqueue_dispatch() is 'Trigger: enqueues one graphile-worker outbox_dispatch job (job key outbox_dispatch) per transaction that writes events, when graphile_worker is installed. Security definer because the roles whose changes write events (tenant requests, jobs) have no rights on the graphile_worker schema.';

-- Constraint triggers have no "or replace": drop and create, inside the apply transaction.
drop trigger if exists _900_enqueue_dispatch on imgplane.events;
create constraint trigger _900_enqueue_dispatch after insert on imgplane.events
  deferrable initially deferred
  for each row execute function imgplane.tg_events__enqueue_dispatch();
