-- migrate:up
-- audit_logs and usage_metrics are append-only and the largest tables (a row per change, a row per
-- space and day): range-partitioned by month, retention drops whole months instead of deleting
-- rows one batch at a time, and a query bounded in time reads only its months. (events is not: its
-- rows are updated by delivery and dead letters stay until an operator acts.)
--
-- This migration makes each one a partitioned table with only its default partition and copies
-- the rows into it; imgplane.maintain_partitions() (db/functions/076_partitions.sql), run by every
-- start (db/apply.ts) and daily by the worker, then moves them into monthly partitions and creates
-- the months ahead. The copy rewrites both tables once, under this migration's lock.
do $$
declare
  -- re-created below with the same text, so it reads the partitioned table instead of the old one
  usage_view constant text := pg_catalog.pg_get_viewdef('imgplane.usage_daily_by_space'::regclass);
begin
  alter table imgplane.audit_logs rename to audit_logs_unpartitioned;
  alter index imgplane.audit_logs_pkey rename to audit_logs_unpartitioned_pkey;
  alter table imgplane.usage_metrics rename to usage_metrics_unpartitioned;
  alter index imgplane.usage_metrics_pkey rename to usage_metrics_unpartitioned_pkey;

  create table imgplane.audit_logs (
    id bigint not null default nextval('imgplane.audit_logs_id_seq'),
    organization_id uuid,
    tenant_id uuid,
    actor_type text not null check (actor_type in ('api_key', 'system', 'database')),
    actor_id text,
    action text not null,
    resource_type text not null,
    resource_id uuid,
    old_row jsonb,
    new_row jsonb,
    created_at timestamptz not null default now(),
    -- a partitioned table's keys include the partition key; id alone stays unique by its sequence
    primary key (id, created_at)
  ) partition by range (created_at);
  -- a sequence and the table it belongs to have one owner (db/policies/990 then re-owns both)
  execute format('alter table imgplane.audit_logs owner to %I',
    (select pg_catalog.pg_get_userbyid(relowner) from pg_catalog.pg_class where oid = 'imgplane.audit_logs_id_seq'::regclass));
  alter sequence imgplane.audit_logs_id_seq owned by imgplane.audit_logs.id;
  create table imgplane.audit_logs_default partition of imgplane.audit_logs default;

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
    primary key (space_id, day),
    foreign key (space_id, tenant_id, organization_id) references imgplane.spaces (id, tenant_id, organization_id) on delete cascade
  ) partition by range (day);
  create table imgplane.usage_metrics_default partition of imgplane.usage_metrics default;

  insert into imgplane.audit_logs select * from imgplane.audit_logs_unpartitioned;
  insert into imgplane.usage_metrics select * from imgplane.usage_metrics_unpartitioned;
  execute format('create or replace view imgplane.usage_daily_by_space with (security_invoker = true, security_barrier = true) as %s', usage_view);
  drop table imgplane.audit_logs_unpartitioned;
  drop table imgplane.usage_metrics_unpartitioned;
end
$$;

create index audit_logs_organization_time_idx on imgplane.audit_logs (organization_id, created_at desc);
create index audit_logs_created_at_idx on imgplane.audit_logs (created_at);
create index usage_metrics_organization_day_idx on imgplane.usage_metrics (organization_id, day);
create index usage_metrics_day_idx on imgplane.usage_metrics (day);

comment on table imgplane.audit_logs is 'Who changed what: one row per insert, update or delete of assets, presets, policies and keys, written by trigger in the same transaction as the change. Partitioned by month of created_at.';
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

comment on table imgplane.usage_metrics is 'Usage counters, one row per UTC day, organization, tenant and space. Incremented in batches by record_usage(); never one write per request. Partitioned by month of day.';
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

-- migrate:down
-- back to plain tables, rows kept
do $$
declare
  usage_view constant text := pg_catalog.pg_get_viewdef('imgplane.usage_daily_by_space'::regclass);
begin
  alter table imgplane.audit_logs rename to audit_logs_partitioned;
  alter index imgplane.audit_logs_pkey rename to audit_logs_partitioned_pkey;
  alter table imgplane.usage_metrics rename to usage_metrics_partitioned;
  alter index imgplane.usage_metrics_pkey rename to usage_metrics_partitioned_pkey;
  create table imgplane.audit_logs (like imgplane.audit_logs_partitioned including defaults including constraints including comments);
  alter table imgplane.audit_logs add primary key (id);
  execute format('alter table imgplane.audit_logs owner to %I',
    (select pg_catalog.pg_get_userbyid(relowner) from pg_catalog.pg_class where oid = 'imgplane.audit_logs_id_seq'::regclass));
  alter sequence imgplane.audit_logs_id_seq owned by imgplane.audit_logs.id;
  create table imgplane.usage_metrics (like imgplane.usage_metrics_partitioned including defaults including constraints including comments);
  alter table imgplane.usage_metrics add primary key (space_id, day),
    add foreign key (space_id, tenant_id, organization_id) references imgplane.spaces (id, tenant_id, organization_id) on delete cascade;
  insert into imgplane.audit_logs select * from imgplane.audit_logs_partitioned;
  insert into imgplane.usage_metrics select * from imgplane.usage_metrics_partitioned;
  execute format('create or replace view imgplane.usage_daily_by_space with (security_invoker = true, security_barrier = true) as %s', usage_view);
  drop table imgplane.audit_logs_partitioned;
  drop table imgplane.usage_metrics_partitioned;
end
$$;
create index audit_logs_organization_time_idx on imgplane.audit_logs (organization_id, created_at desc);
create index audit_logs_created_at_idx on imgplane.audit_logs (created_at);
create index usage_metrics_organization_day_idx on imgplane.usage_metrics (organization_id, day);
create index usage_metrics_day_idx on imgplane.usage_metrics (day);
alter table imgplane.usage_metrics set (fillfactor = 85);
drop function if exists imgplane.maintain_partitions(integer);
drop function if exists imgplane.create_month_partitions(regclass, date, date);
drop function if exists imgplane.drop_expired_partitions(regclass, timestamptz);
