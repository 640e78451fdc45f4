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

  -- the same columns, defaults, checks and column comments; a partitioned table's keys include
  -- the partition key (id alone stays unique: one sequence numbers every row)
  create table imgplane.audit_logs (
    like imgplane.audit_logs_unpartitioned including defaults including constraints including comments,
    primary key (id, created_at)
  ) partition by range (created_at);
  -- a sequence and the table it belongs to have one owner (db/policies/990 then re-owns both)
  execute format('alter table imgplane.audit_logs owner to %I',
    (select pg_catalog.pg_get_userbyid(relowner) from pg_catalog.pg_class where oid = 'imgplane.audit_logs_id_seq'::regclass));
  alter sequence imgplane.audit_logs_id_seq owned by imgplane.audit_logs.id;
  create table imgplane.audit_logs_default partition of imgplane.audit_logs default;

  create table imgplane.usage_metrics (
    like imgplane.usage_metrics_unpartitioned including defaults including constraints including comments,
    primary key (space_id, day),
    -- named as before (the old table still holds the name, and would get an invented one)
    constraint usage_metrics_space_id_tenant_id_organization_id_fkey
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
comment on table imgplane.usage_metrics is 'Usage counters, one row per UTC day, organization, tenant and space. Incremented in batches by record_usage(); never one write per request. Partitioned by month of day.';

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
    add constraint usage_metrics_space_id_tenant_id_organization_id_fkey
      foreign key (space_id, tenant_id, organization_id) references imgplane.spaces (id, tenant_id, organization_id) on delete cascade;
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
