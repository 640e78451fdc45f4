-- Retention by age (worker/tasks/data-retention.ts calls these daily, batch after batch, until a
-- batch comes back short). Security definer: the worker role may not delete audit rows, events,
-- usage or assets itself, and must not be able to delete recent ones; these delete only rows past
-- the cutoff, oldest first, at most batch_size a call so no transaction grows large.

create or replace function imgplane.delete_expired(kind text, retention_days integer, batch_size integer)
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  cutoff constant timestamptz := now() - make_interval(days => retention_days);
  cutoff_day constant date := (cutoff at time zone 'UTC')::date;
  dropped bigint := 0;
  deleted integer;
begin
  if retention_days is null or retention_days < 1 or batch_size is null or batch_size < 1 then
    raise exception 'retention_days and batch_size must be positive' using errcode = '22023';
  end if;
  case kind
  when 'events' then
    -- delivered only: dead letters wait for an operator (requeue or delete by hand)
    delete from imgplane.events e using (
      select id from imgplane.events
       where delivered_at is not null and coalesce(delivered_at, dead_at) < cutoff
       order by coalesce(delivered_at, dead_at) limit batch_size
    ) old where e.id = old.id;
  when 'audit_logs' then
    delete from imgplane.audit_logs l using (
      select id, created_at from imgplane.audit_logs where created_at < cutoff order by created_at limit batch_size
    ) old where l.id = old.id and l.created_at = old.created_at;
  when 'usage_metrics' then
    -- daily rows only: usage_monthly keeps the billing grain
    delete from imgplane.usage_metrics u using (
      select space_id, day from imgplane.usage_metrics where day < cutoff_day order by day limit batch_size
    ) old where u.space_id = old.space_id and u.day = old.day;
  else
    raise exception 'unknown retention kind "%"', kind using errcode = '22023';
  end case;
  get diagnostics deleted = row_count;
  -- Whole months past the cutoff go as partitions, last: dropping one locks its table exclusively
  -- until this transaction commits, so nothing else may run after it.
  if kind = 'audit_logs' then
    dropped := imgplane.drop_expired_partitions('imgplane.audit_logs', cutoff);
  elsif kind = 'usage_metrics' then
    dropped := imgplane.drop_expired_partitions('imgplane.usage_metrics', cutoff_day::timestamp at time zone 'UTC');
  end if;
  return least(deleted + dropped, 2147483647)::integer;
end
$$;
comment on function imgplane.delete_expired(text, integer, integer) is 'Deletes at most batch_size rows of one kind older than retention_days, oldest first, and returns how many: events (delivered ones, by delivery time), audit_logs (by time), usage_metrics (daily rows, by day; usage_monthly is kept). Monthly partitions wholly past the cutoff are dropped at the end of the call, their rows counted. For the worker''s daily retention task.';
revoke all on function imgplane.delete_expired(text, integer, integer) from public;
grant execute on function imgplane.delete_expired(text, integer, integer) to imgplane_worker;

-- The rows of soft-deleted assets past their grace period go (versions and variants cascade);
-- what comes back is the storage objects they referred to, for the caller to delete once no
-- other version in the organisation has the same content (originals and variants are
-- content-addressed per organisation, so another asset may share them).
create or replace function imgplane.purge_deleted_assets(grace_days integer, batch_size integer)
returns table (organization_id uuid, content_hash text, original_key text, variant_keys text[])
language sql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
  with doomed as (
    select a.id from imgplane.assets a
     where a.deleted_at < now() - make_interval(days => greatest(grace_days, 0))
     order by a.deleted_at
     limit greatest(batch_size, 1)
       for update skip locked
  ), objects as (
    -- read before the delete below: every CTE sees the statement's snapshot
    select v.organization_id, v.content_hash::text as content_hash, v.storage_key,
           array(select d.storage_key from imgplane.derived_assets d
                  where d.asset_id = v.asset_id and d.version = v.version order by d.storage_key) as variant_keys
      from imgplane.asset_versions v join doomed on doomed.id = v.asset_id
  ), gone as (
    delete from imgplane.assets a using doomed where a.id = doomed.id
  )
  select o.organization_id, o.content_hash, o.storage_key, o.variant_keys from objects o
$$;
comment on function imgplane.purge_deleted_assets(integer, integer) is 'Deletes at most batch_size assets soft-deleted more than grace_days ago (oldest first; their versions and variants cascade) and returns, per deleted version, its organization, content hash, original''s storage key and variants'' storage keys. The caller deletes the objects no remaining version shares.';
revoke all on function imgplane.purge_deleted_assets(integer, integer) from public;
grant execute on function imgplane.purge_deleted_assets(integer, integer) to imgplane_worker;
