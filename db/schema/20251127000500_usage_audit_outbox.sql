-- migrate:up
create table imgplane.usage_metrics (
  day date not null,
  organization_id uuid not null,
  tenant_id uuid not null,
  space_id uuid not null,
  request_count bigint not null default 0,
  bandwidth_bytes bigint not null default 0,
  transform_count bigint not null default 0,
  transform_cpu_ms bigint not null default 0,
  cache_hit_count bigint not null default 0,
  upload_count bigint not null default 0,
  upload_bytes bigint not null default 0,
  primary key (day, organization_id, tenant_id, space_id),
  foreign key (space_id, tenant_id, organization_id) references imgplane.spaces (id, tenant_id, organization_id) on delete cascade
);
create index usage_metrics_organization_day_idx on imgplane.usage_metrics (organization_id, day);
comment on table imgplane.usage_metrics is 'Usage counters, one row per UTC day, organization, tenant and space. Incremented in batches by record_usage(); never one write per request.';
comment on column imgplane.usage_metrics.day is 'UTC calendar day the counters cover.';
comment on column imgplane.usage_metrics.organization_id is 'Organization the usage is billed to.';
comment on column imgplane.usage_metrics.tenant_id is 'Tenant of the space.';
comment on column imgplane.usage_metrics.space_id is 'Space whose assets were delivered or uploaded.';
comment on column imgplane.usage_metrics.request_count is 'Image delivery requests answered (any status except errors caused by the server).';
comment on column imgplane.usage_metrics.bandwidth_bytes is 'Response body bytes sent for image deliveries.';
comment on column imgplane.usage_metrics.transform_count is 'Variants computed (cache misses that ran the image pipeline).';
comment on column imgplane.usage_metrics.transform_cpu_ms is 'Milliseconds spent computing variants.';
comment on column imgplane.usage_metrics.cache_hit_count is 'Deliveries answered from a cache or stored variant without computing.';
comment on column imgplane.usage_metrics.upload_count is 'Assets or versions uploaded (deduplicated uploads included).';
comment on column imgplane.usage_metrics.upload_bytes is 'Bytes received by uploads.';

-- No foreign keys: the audit trail must outlive the rows (and organizations) it describes.
create table imgplane.audit_logs (
  id bigserial primary key,
  organization_id uuid,
  tenant_id uuid,
  actor_type text not null check (actor_type in ('api_key', 'system', 'database')),
  actor_id text,
  action text not null,
  resource_type text not null,
  resource_id uuid,
  old_row jsonb,
  new_row jsonb,
  created_at timestamptz not null default now()
);
create index audit_logs_organization_time_idx on imgplane.audit_logs (organization_id, created_at desc);
comment on table imgplane.audit_logs is 'Who changed what: one row per insert, update or delete of assets, presets, policies and keys, written by trigger in the same transaction as the change.';
comment on column imgplane.audit_logs.id is 'Monotonic id; orders entries written by one transaction.';
comment on column imgplane.audit_logs.organization_id is 'Organization of the changed row; null for platform operator keys.';
comment on column imgplane.audit_logs.tenant_id is 'Tenant of the changed row; null for organization-level rows.';
comment on column imgplane.audit_logs.actor_type is 'api_key (a request authenticated by an API key), system (a background job) or database (direct SQL, migrations).';
comment on column imgplane.audit_logs.actor_id is 'api_keys.id for api_key actors, else the database role that made the change.';
comment on column imgplane.audit_logs.action is '<resource_type>.<insert|update|delete>, for example asset.insert.';
comment on column imgplane.audit_logs.resource_type is 'Kind of the changed row: asset, preset, policy, api_key or signing_key.';
comment on column imgplane.audit_logs.resource_id is 'id of the changed row.';
comment on column imgplane.audit_logs.old_row is 'The row before the change (null for inserts), secret columns removed.';
comment on column imgplane.audit_logs.new_row is 'The row after the change (null for deletes), secret columns removed.';
comment on column imgplane.audit_logs.created_at is 'Time of the transaction that made the change.';

-- The transactional outbox. No foreign keys: events about deleted rows must still be delivered.
create table imgplane.events (
  id bigserial primary key,
  organization_id uuid,
  tenant_id uuid,
  event_type text not null check (event_type ~ '^[a-z_]+\.[a-z_]+$'),
  aggregate_type text not null,
  aggregate_id uuid,
  payload jsonb not null default '{}',
  created_at timestamptz not null default now(),
  available_at timestamptz not null default now(),
  delivered_at timestamptz,
  attempts integer not null default 0,
  last_error text
);
create index events_undelivered_idx on imgplane.events (available_at, id) where delivered_at is null;
create index events_organization_time_idx on imgplane.events (organization_id, created_at desc);
comment on table imgplane.events is 'Transactional outbox: events written in the same transaction as the change, delivered at least once by the worker (webhooks, CDN purge).';
comment on column imgplane.events.event_type is '<resource>.<verb>, for example asset.created, preset.updated, signing_key.deleted.';
comment on column imgplane.events.aggregate_type is 'Kind of the changed row, for example asset.';
comment on column imgplane.events.aggregate_id is 'id of the changed row.';
comment on column imgplane.events.payload is 'The row after the change (before it, for deletions), secret columns removed.';
comment on column imgplane.events.available_at is 'Not delivered before this time (retry backoff).';
comment on column imgplane.events.delivered_at is 'Set once every consumer has accepted the event; null while pending.';
comment on column imgplane.events.attempts is 'Delivery attempts made so far.';
comment on column imgplane.events.last_error is 'Error of the last failed delivery attempt.';

-- Views for data teams. security_invoker keeps the caller's row-level security in force.
create view imgplane.usage_daily_by_space with (security_invoker = true, security_barrier = true) as
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
  u.upload_bytes
from imgplane.usage_metrics u
join imgplane.organizations o on o.id = u.organization_id
join imgplane.tenants t on t.id = u.tenant_id
join imgplane.spaces s on s.id = u.space_id;
comment on view imgplane.usage_daily_by_space is 'Usage, one row per UTC day, organization, tenant and space, with slugs.';
comment on column imgplane.usage_daily_by_space.day is 'UTC calendar day.';
comment on column imgplane.usage_daily_by_space.organization_id is 'Organization the usage is billed to.';
comment on column imgplane.usage_daily_by_space.tenant_id is 'Tenant of the space.';
comment on column imgplane.usage_daily_by_space.space_id is 'Space whose assets were delivered or uploaded.';
comment on column imgplane.usage_daily_by_space.organization_slug is 'Organization slug at query time.';
comment on column imgplane.usage_daily_by_space.tenant_slug is 'Tenant slug at query time.';
comment on column imgplane.usage_daily_by_space.space_slug is 'Space slug at query time.';
comment on column imgplane.usage_daily_by_space.request_count is 'Image delivery requests answered.';
comment on column imgplane.usage_daily_by_space.bandwidth_bytes is 'Response body bytes sent.';
comment on column imgplane.usage_daily_by_space.transform_count is 'Variants computed.';
comment on column imgplane.usage_daily_by_space.transform_cpu_ms is 'Milliseconds spent computing variants.';
comment on column imgplane.usage_daily_by_space.cache_hit_count is 'Deliveries answered without computing.';
comment on column imgplane.usage_daily_by_space.upload_count is 'Uploads received.';
comment on column imgplane.usage_daily_by_space.upload_bytes is 'Bytes uploaded.';

create view imgplane.usage_monthly_by_organization with (security_invoker = true, security_barrier = true) as
select
  date_trunc('month', u.day)::date as month,
  u.organization_id,
  o.slug as organization_slug,
  sum(u.request_count)::bigint as request_count,
  sum(u.bandwidth_bytes)::bigint as bandwidth_bytes,
  sum(u.transform_count)::bigint as transform_count,
  sum(u.transform_cpu_ms)::bigint as transform_cpu_ms,
  sum(u.cache_hit_count)::bigint as cache_hit_count,
  sum(u.upload_count)::bigint as upload_count,
  sum(u.upload_bytes)::bigint as upload_bytes
from imgplane.usage_metrics u
join imgplane.organizations o on o.id = u.organization_id
group by 1, 2, 3;
comment on view imgplane.usage_monthly_by_organization is 'Usage, one row per calendar month (UTC) and organization: the billing grain.';
comment on column imgplane.usage_monthly_by_organization.month is 'First day of the UTC month.';
comment on column imgplane.usage_monthly_by_organization.organization_id is 'Organization the usage is billed to.';
comment on column imgplane.usage_monthly_by_organization.organization_slug is 'Organization slug at query time.';
comment on column imgplane.usage_monthly_by_organization.request_count is 'Image delivery requests answered in the month.';
comment on column imgplane.usage_monthly_by_organization.bandwidth_bytes is 'Response body bytes sent in the month.';
comment on column imgplane.usage_monthly_by_organization.transform_count is 'Variants computed in the month.';
comment on column imgplane.usage_monthly_by_organization.transform_cpu_ms is 'Milliseconds spent computing variants in the month.';
comment on column imgplane.usage_monthly_by_organization.cache_hit_count is 'Deliveries answered without computing in the month.';
comment on column imgplane.usage_monthly_by_organization.upload_count is 'Uploads received in the month.';
comment on column imgplane.usage_monthly_by_organization.upload_bytes is 'Bytes uploaded in the month.';

-- migrate:down
drop view imgplane.usage_monthly_by_organization;
drop view imgplane.usage_daily_by_space;
drop table imgplane.events;
drop table imgplane.audit_logs;
drop table imgplane.usage_metrics;
