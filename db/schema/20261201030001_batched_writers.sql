-- migrate:up
-- Counters that many writers update in batches, shaped so the updates stay cheap at scale.

-- derived_assets: every served variant updates access_count and last_accessed_at. Indexing either
-- makes every such update non-HOT (a new entry in every index); the tiering index on
-- (cache_tier, last_accessed_at) did so and no query used it. The lifecycle indexes day-grained
-- generated columns instead: within a day their values stay the same, so the access flush stays
-- HOT, and fillfactor leaves room on each page for the new row versions.
alter table imgplane.derived_assets
  add column idle_since date generated always as ((coalesce(last_accessed_at, created_at) at time zone 'UTC')::date) stored,
  add column never_served boolean generated always as (access_count = 0) stored;
comment on column imgplane.derived_assets.idle_since is 'UTC day of the last delivery (of creation, if never served): what the variant lifecycle tiers by. Generated.';
comment on column imgplane.derived_assets.never_served is 'True until the variant is first served: what the variant lifecycle prunes by. Generated.';
drop index imgplane.derived_assets_tiering_idx;
create index derived_assets_lifecycle_idx on imgplane.derived_assets (cache_tier, idle_since);
create index derived_assets_unserved_idx on imgplane.derived_assets (created_at) where never_served;
alter table imgplane.derived_assets set (fillfactor = 85);

-- usage_metrics: keyed by (space_id, day); the space fixes tenant and organization. A 20-byte key
-- instead of 52, and the batch upsert finds its row by the key it sorts by.
alter table imgplane.usage_metrics drop constraint usage_metrics_pkey;
alter table imgplane.usage_metrics add primary key (space_id, day);
alter table imgplane.usage_metrics set (fillfactor = 85);

-- Monthly rollup, kept current by record_usage() in the same call as the daily row: the billing
-- grain without scanning an organization's whole daily history, and what is left once daily rows
-- pass their retention.
create table imgplane.usage_monthly (
  space_id uuid not null,
  month date not null check (extract(day from month) = 1),
  organization_id uuid not null,
  tenant_id uuid not null,
  request_count bigint not null default 0,
  bandwidth_bytes bigint not null default 0,
  transform_count bigint not null default 0,
  transform_cpu_ms bigint not null default 0,
  cache_hit_count bigint not null default 0,
  upload_count bigint not null default 0,
  upload_bytes bigint not null default 0,
  primary key (space_id, month),
  foreign key (space_id, tenant_id, organization_id) references imgplane.spaces (id, tenant_id, organization_id) on delete cascade
) with (fillfactor = 85);
create index usage_monthly_organization_month_idx on imgplane.usage_monthly (organization_id, month);
comment on table imgplane.usage_monthly is 'Usage counters, one row per UTC calendar month and space; the sums of usage_metrics, kept by record_usage() and never deleted by retention.';
comment on column imgplane.usage_monthly.month is 'First day of the UTC month the counters cover.';
comment on column imgplane.usage_monthly.organization_id is 'Organization the usage is billed to.';
comment on column imgplane.usage_monthly.tenant_id is 'Tenant of the space.';
comment on column imgplane.usage_monthly.space_id is 'Space whose assets were delivered or uploaded.';
comment on column imgplane.usage_monthly.request_count is 'Image delivery requests answered.';
comment on column imgplane.usage_monthly.bandwidth_bytes is 'Response body bytes sent for image deliveries.';
comment on column imgplane.usage_monthly.transform_count is 'Variants computed.';
comment on column imgplane.usage_monthly.transform_cpu_ms is 'Milliseconds spent computing variants.';
comment on column imgplane.usage_monthly.cache_hit_count is 'Deliveries answered without computing.';
comment on column imgplane.usage_monthly.upload_count is 'Assets or versions uploaded.';
comment on column imgplane.usage_monthly.upload_bytes is 'Bytes received by uploads.';

insert into imgplane.usage_monthly (space_id, month, organization_id, tenant_id, request_count, bandwidth_bytes,
  transform_count, transform_cpu_ms, cache_hit_count, upload_count, upload_bytes)
select space_id, date_trunc('month', day)::date, organization_id, tenant_id, sum(request_count), sum(bandwidth_bytes),
  sum(transform_count), sum(transform_cpu_ms), sum(cache_hit_count), sum(upload_count), sum(upload_bytes)
from imgplane.usage_metrics
group by 1, 2, 3, 4;

create or replace view imgplane.usage_monthly_by_organization with (security_invoker = true, security_barrier = true) as
select
  u.month,
  u.organization_id,
  o.slug as organization_slug,
  sum(u.request_count)::bigint as request_count,
  sum(u.bandwidth_bytes)::bigint as bandwidth_bytes,
  sum(u.transform_count)::bigint as transform_count,
  sum(u.transform_cpu_ms)::bigint as transform_cpu_ms,
  sum(u.cache_hit_count)::bigint as cache_hit_count,
  sum(u.upload_count)::bigint as upload_count,
  sum(u.upload_bytes)::bigint as upload_bytes
from imgplane.usage_monthly u
join imgplane.organizations o on o.id = u.organization_id
group by 1, 2, 3;

-- migrate:down
create or replace view imgplane.usage_monthly_by_organization with (security_invoker = true, security_barrier = true) as
select date_trunc('month', u.day)::date as month, u.organization_id, o.slug as organization_slug,
  sum(u.request_count)::bigint as request_count, sum(u.bandwidth_bytes)::bigint as bandwidth_bytes,
  sum(u.transform_count)::bigint as transform_count, sum(u.transform_cpu_ms)::bigint as transform_cpu_ms,
  sum(u.cache_hit_count)::bigint as cache_hit_count, sum(u.upload_count)::bigint as upload_count,
  sum(u.upload_bytes)::bigint as upload_bytes
from imgplane.usage_metrics u
join imgplane.organizations o on o.id = u.organization_id
group by 1, 2, 3;
drop table imgplane.usage_monthly;
alter table imgplane.usage_metrics drop constraint usage_metrics_pkey;
alter table imgplane.usage_metrics add primary key (day, organization_id, tenant_id, space_id);
drop index imgplane.derived_assets_unserved_idx;
drop index imgplane.derived_assets_lifecycle_idx;
create index derived_assets_tiering_idx on imgplane.derived_assets (cache_tier, last_accessed_at);
alter table imgplane.derived_assets drop column never_served, drop column idle_since;
