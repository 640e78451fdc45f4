create or replace function imgplane.record_usage(batch jsonb) returns integer
language sql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
  with increments as (
    -- one row per key: ON CONFLICT may not touch the same row twice in one statement
    select
      b.day, b.organization_id, b.tenant_id, b.space_id,
      sum(coalesce(b.request_count, 0)) as request_count,
      sum(coalesce(b.bandwidth_bytes, 0)) as bandwidth_bytes,
      sum(coalesce(b.transform_count, 0)) as transform_count,
      sum(coalesce(b.transform_cpu_ms, 0)) as transform_cpu_ms,
      sum(coalesce(b.cache_hit_count, 0)) as cache_hit_count,
      sum(coalesce(b.upload_count, 0)) as upload_count,
      sum(coalesce(b.upload_bytes, 0)) as upload_bytes
    from jsonb_to_recordset(record_usage.batch) as b(
      day date, organization_id uuid, tenant_id uuid, space_id uuid,
      request_count bigint, bandwidth_bytes bigint, transform_count bigint, transform_cpu_ms bigint,
      cache_hit_count bigint, upload_count bigint, upload_bytes bigint
    )
    group by b.day, b.organization_id, b.tenant_id, b.space_id
  ),
  upserted as (
    insert into imgplane.usage_metrics as u (
      day, organization_id, tenant_id, space_id, request_count, bandwidth_bytes, transform_count,
      transform_cpu_ms, cache_hit_count, upload_count, upload_bytes
    )
    select * from increments
    on conflict (day, organization_id, tenant_id, space_id) do update set
      request_count = u.request_count + excluded.request_count,
      bandwidth_bytes = u.bandwidth_bytes + excluded.bandwidth_bytes,
      transform_count = u.transform_count + excluded.transform_count,
      transform_cpu_ms = u.transform_cpu_ms + excluded.transform_cpu_ms,
      cache_hit_count = u.cache_hit_count + excluded.cache_hit_count,
      upload_count = u.upload_count + excluded.upload_count,
      upload_bytes = u.upload_bytes + excluded.upload_bytes
    returning 1
  )
  select count(*)::integer from upserted
$$;
comment on function imgplane.record_usage(jsonb) is 'Adds a batch of usage counters: a JSON array of {day, organization_id, tenant_id, space_id, request_count?, bandwidth_bytes?, transform_count?, transform_cpu_ms?, cache_hit_count?, upload_count?, upload_bytes?}; missing counters count 0. Returns the number of usage_metrics rows touched. Security definer because the delivery hot path flushes counters of many organizations at once, outside any one request''s row-level security.';

-- Not for request roles: a tenant could otherwise add usage to any organization.
revoke all on function imgplane.record_usage(jsonb) from public;
grant execute on function imgplane.record_usage(jsonb) to imgplane_admin, imgplane_worker;
