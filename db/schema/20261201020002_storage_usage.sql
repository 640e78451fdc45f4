-- migrate:up
-- Bytes and assets stored, per space and UTC day: kept current by triggers on asset_versions,
-- derived_assets and assets (db/functions/046_storage_usage.sql), read by the storage quotas
-- (platform/limits/) and by usage_daily_by_space. A row holds the totals at the end of its day
-- (now, for today); a day with no change has no row, so the latest row on or before a day is the
-- total of that day.
create table imgplane.storage_daily (
  space_id uuid not null,
  day date not null,
  organization_id uuid not null,
  tenant_id uuid not null,
  storage_bytes bigint not null default 0,
  asset_count bigint not null default 0,
  primary key (space_id, day),
  foreign key (space_id, tenant_id, organization_id) references imgplane.spaces (id, tenant_id, organization_id) on delete cascade
);
create index storage_daily_organization_idx on imgplane.storage_daily (organization_id, space_id, day desc);
comment on table imgplane.storage_daily is 'Storage held by a space at the end of a UTC day (now, for today): originals and rendered variants in bytes, and assets not deleted. Maintained by triggers; a day without change has no row (the latest earlier row holds).';
comment on column imgplane.storage_daily.day is 'UTC calendar day.';
comment on column imgplane.storage_daily.storage_bytes is 'Bytes of every stored original version and rendered variant of the space.';
comment on column imgplane.storage_daily.asset_count is 'Assets of the space that are not deleted.';

insert into imgplane.storage_daily (space_id, day, organization_id, tenant_id, storage_bytes, asset_count)
select s.id, (now() at time zone 'utc')::date, s.organization_id, s.tenant_id,
       coalesce((select sum(v.size_bytes) from imgplane.asset_versions v where v.space_id = s.id), 0)
         + coalesce((select sum(d.size_bytes) from imgplane.derived_assets d where d.space_id = s.id), 0),
       (select count(*) from imgplane.assets a where a.space_id = s.id and a.deleted_at is null)
from imgplane.spaces s;

create or replace view imgplane.usage_daily_by_space with (security_invoker = true, security_barrier = true) as
select
  u.day,
  u.organization_id,
  o.slug as organization_slug,
  u.tenant_id,
  t.slug as tenant_slug,
  u.space_id,
  s.slug as space_slug,
  u.request_count,
  u.bandwidth_bytes,
  u.transform_count,
  u.transform_cpu_ms,
  u.cache_hit_count,
  u.upload_count,
  u.upload_bytes,
  coalesce(stored.storage_bytes, 0)::bigint as storage_bytes,
  coalesce(stored.asset_count, 0)::bigint as asset_count
from imgplane.usage_metrics u
join imgplane.organizations o on o.id = u.organization_id
join imgplane.tenants t on t.id = u.tenant_id
join imgplane.spaces s on s.id = u.space_id
left join lateral (
  select sd.storage_bytes, sd.asset_count from imgplane.storage_daily sd
  where sd.space_id = u.space_id and sd.day <= u.day
  order by sd.day desc limit 1
) stored on true;
comment on column imgplane.usage_daily_by_space.storage_bytes is 'Bytes stored by the space at the end of the day (originals and variants; now, for today).';
comment on column imgplane.usage_daily_by_space.asset_count is 'Assets of the space not deleted at the end of the day.';

-- migrate:down
-- (a view cannot lose columns in place; the column comments of the first migration are not restored)
drop view imgplane.usage_daily_by_space;
create view imgplane.usage_daily_by_space with (security_invoker = true, security_barrier = true) as
select u.day, u.organization_id, o.slug as organization_slug, u.tenant_id, t.slug as tenant_slug, u.space_id,
  s.slug as space_slug, u.request_count, u.bandwidth_bytes, u.transform_count, u.transform_cpu_ms,
  u.cache_hit_count, u.upload_count, u.upload_bytes
from imgplane.usage_metrics u
join imgplane.organizations o on o.id = u.organization_id
join imgplane.tenants t on t.id = u.tenant_id
join imgplane.spaces s on s.id = u.space_id;
drop table imgplane.storage_daily;
