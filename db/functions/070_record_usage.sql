-- record_usage(): the batch writer of usage counters (platform/usage.ts flushes into it).
--
-- Many processes flush at once, and their batches overlap (the same busy spaces, today). Each
-- statement takes its row locks in (space_id, day) order, and every call writes the daily rows
-- before the monthly ones, so two flushes never wait for each other in a cycle: unsorted, 19 of 33
-- concurrent calls deadlocked in the scale review, sorted none.

create or replace function imgplane.usage_increments(batch jsonb)
returns table (
  day date, organization_id uuid, tenant_id uuid, space_id uuid,
  request_count bigint, bandwidth_bytes bigint, transform_count bigint, transform_cpu_ms bigint,
  cache_hit_count bigint, upload_count bigint, upload_bytes bigint
)
language sql immutable parallel safe
as $$
  -- one row per key: ON CONFLICT may not touch the same row twice in one statement. A space
  -- fixes its tenant and organization, so grouping by them too splits nothing.
  select
    b.day, b.organization_id, b.tenant_id, b.space_id,
    sum(coalesce(b.request_count, 0))::bigint, sum(coalesce(b.bandwidth_bytes, 0))::bigint,
    sum(coalesce(b.transform_count, 0))::bigint, sum(coalesce(b.transform_cpu_ms, 0))::bigint,
    sum(coalesce(b.cache_hit_count, 0))::bigint, sum(coalesce(b.upload_count, 0))::bigint,
    sum(coalesce(b.upload_bytes, 0))::bigint
  from jsonb_to_recordset(usage_increments.batch) as b(
    day date, organization_id uuid, tenant_id uuid, space_id uuid,
    request_count bigint, bandwidth_bytes bigint, transform_count bigint, transform_cpu_ms bigint,
    cache_hit_count bigint, upload_count bigint, upload_bytes bigint
  )
  group by b.space_id, b.day, b.organization_id, b.tenant_id
$$;
comment on function imgplane.usage_increments(jsonb) is 'The rows of a record_usage() batch, summed per space and day.';
revoke all on function imgplane.usage_increments(jsonb) from public;

create or replace function imgplane.record_usage(batch jsonb) returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  touched integer;
begin
  insert into imgplane.usage_metrics as u (
    day, organization_id, tenant_id, space_id, request_count, bandwidth_bytes, transform_count,
    transform_cpu_ms, cache_hit_count, upload_count, upload_bytes
  )
  select * from imgplane.usage_increments(record_usage.batch) i order by i.space_id, i.day
  on conflict (space_id, day) do update set
    request_count = u.request_count + excluded.request_count,
    bandwidth_bytes = u.bandwidth_bytes + excluded.bandwidth_bytes,
    transform_count = u.transform_count + excluded.transform_count,
    transform_cpu_ms = u.transform_cpu_ms + excluded.transform_cpu_ms,
    cache_hit_count = u.cache_hit_count + excluded.cache_hit_count,
    upload_count = u.upload_count + excluded.upload_count,
    upload_bytes = u.upload_bytes + excluded.upload_bytes;
  get diagnostics touched = row_count;

  insert into imgplane.usage_monthly as m (
    month, organization_id, tenant_id, space_id, request_count, bandwidth_bytes, transform_count,
    transform_cpu_ms, cache_hit_count, upload_count, upload_bytes
  )
  select date_trunc('month', i.day)::date as month, i.organization_id, i.tenant_id, i.space_id,
    sum(i.request_count), sum(i.bandwidth_bytes), sum(i.transform_count), sum(i.transform_cpu_ms),
    sum(i.cache_hit_count), sum(i.upload_count), sum(i.upload_bytes)
  from imgplane.usage_increments(record_usage.batch) i
  group by i.space_id, month, i.organization_id, i.tenant_id
  order by i.space_id, month
  on conflict (space_id, month) do update set
    request_count = m.request_count + excluded.request_count,
    bandwidth_bytes = m.bandwidth_bytes + excluded.bandwidth_bytes,
    transform_count = m.transform_count + excluded.transform_count,
    transform_cpu_ms = m.transform_cpu_ms + excluded.transform_cpu_ms,
    cache_hit_count = m.cache_hit_count + excluded.cache_hit_count,
    upload_count = m.upload_count + excluded.upload_count,
    upload_bytes = m.upload_bytes + excluded.upload_bytes;
  return touched;
end
$$;
comment on function imgplane.record_usage(jsonb) is 'Adds a batch of usage counters: a JSON array of {day, organization_id, tenant_id, space_id, request_count?, bandwidth_bytes?, transform_count?, transform_cpu_ms?, cache_hit_count?, upload_count?, upload_bytes?}; missing counters count 0. Updates the daily rows (usage_metrics) and the monthly rollup (usage_monthly), each in (space, period) order so concurrent batches cannot deadlock. Returns the number of usage_metrics rows touched. Security definer because the delivery hot path flushes counters of many organizations at once, outside any one request''s row-level security.';

-- Not for request roles: a tenant could otherwise add usage to any organization.
revoke all on function imgplane.record_usage(jsonb) from public;
grant execute on function imgplane.record_usage(jsonb) to imgplane_admin, imgplane_worker;
