-- Monthly partitions of the append-only tables (db/schema/20261204100000_partition_audit_usage.sql).
-- A row whose month has no partition lands in the table's default partition, so no write ever
-- fails for want of one; maintain_partitions() then gives that month its own partition (moving the
-- rows) and creates the months ahead. Security definer: partitions belong to imgplane_owner, and
-- the worker that runs this daily may not create or drop tables itself.

-- usage_metrics' fillfactor: record_usage() updates counters in place, and room on the page keeps
-- those updates HOT; audit rows are never updated.
create or replace function imgplane.partitioned_by_month()
returns table (parent regclass, partition_key text, fillfactor integer)
language sql immutable
as $$
  values ('imgplane.audit_logs'::regclass, 'created_at', 100), ('imgplane.usage_metrics'::regclass, 'day', 85)
$$;
comment on function imgplane.partitioned_by_month() is 'The tables partitioned by month, with the column they are partitioned on and the fillfactor of their partitions.';
revoke all on function imgplane.partitioned_by_month() from public;

-- One partition per month from from_month through through_month (first days of months), where
-- missing; rows of those months waiting in the default partition move into it. Returns how many
-- partitions it created.
create or replace function imgplane.create_month_partitions(parent regclass, from_month date, through_month date)
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
-- month boundaries of timestamptz partitions are UTC midnights, whatever the caller's zone
set timezone = 'UTC'
as $$
declare
  spec record;
  base constant text := (select c.relname from pg_class c where c.oid = create_month_partitions.parent);
  month date;
  partition_name text;
  created integer := 0;
begin
  select * into spec from imgplane.partitioned_by_month() p where p.parent = create_month_partitions.parent;
  if not found then
    raise exception '% is not partitioned by month', parent using errcode = '22023';
  end if;
  for month in select generate_series(date_trunc('month', from_month), date_trunc('month', through_month), interval '1 month')::date loop
    partition_name := format('%s_%s', base, to_char(month, 'YYYY_MM'));
    continue when to_regclass(format('imgplane.%I', partition_name)) is not null;
    -- Built beside the table, then attached: attaching checks the default partition holds no row
    -- of the month, which the move has just made true, without blocking the table's writers.
    execute format('create table imgplane.%I (like %s including defaults including constraints) with (fillfactor = %s)',
      partition_name, parent, spec.fillfactor);
    execute format(
      'with moved as (delete from imgplane.%1$I where %2$I >= %3$L and %2$I < %4$L returning *) insert into imgplane.%5$I select * from moved',
      base || '_default', spec.partition_key, month, (month + interval '1 month')::date, partition_name);
    execute format('alter table %s attach partition imgplane.%I for values from (%L) to (%L)',
      parent, partition_name, month, (month + interval '1 month')::date);
    -- read through the parent's policies only: on its own a partition answers nobody but its owner
    execute format('alter table imgplane.%I enable row level security, force row level security', partition_name);
    execute format('create policy owner_all on imgplane.%I to imgplane_owner using (true) with check (true)', partition_name);
    created := created + 1;
  end loop;
  return created;
end
$$;
comment on function imgplane.create_month_partitions(regclass, date, date) is 'Creates the monthly partitions of a table partitioned by month (imgplane.partitioned_by_month()) from from_month through through_month where missing, moving rows of those months out of its default partition. Returns how many it created.';
revoke all on function imgplane.create_month_partitions(regclass, date, date) from public;

-- Two months ahead by default: a missed daily run or two never lands rows in a default partition.
create or replace function imgplane.maintain_partitions(months_ahead integer default 2)
returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  spec record;
  waiting date;
  created integer := 0;
begin
  if months_ahead is null or months_ahead < 0 or months_ahead > 24 then
    raise exception 'months_ahead must be between 0 and 24' using errcode = '22023';
  end if;
  for spec in select * from imgplane.partitioned_by_month() loop
    -- months whose rows wait in the default partition (a backfill, or a worker down for months)
    for waiting in execute format('select distinct date_trunc(''month'', %I)::date from %s_default', spec.partition_key, spec.parent) loop
      created := created + imgplane.create_month_partitions(spec.parent, waiting, waiting);
    end loop;
    created := created + imgplane.create_month_partitions(
      spec.parent, (now() at time zone 'UTC')::date, ((now() at time zone 'UTC') + make_interval(months => months_ahead))::date);
  end loop;
  return created;
end
$$;
comment on function imgplane.maintain_partitions(integer) is 'Gives every month with rows in a default partition its own partition, and creates the partitions of the current month and the months_ahead after it. Run by every start (db/apply.ts) and daily by the worker; returns how many partitions it created.';
revoke all on function imgplane.maintain_partitions(integer) from public;
grant execute on function imgplane.maintain_partitions(integer) to imgplane_worker;

-- Retention drops whole months: the partitions entirely older than cutoff go with their rows.
-- Returns how many rows they held.
create or replace function imgplane.drop_expired_partitions(parent regclass, cutoff timestamptz)
returns bigint
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
as $$
declare
  expired record;
  held bigint;
  dropped bigint := 0;
begin
  for expired in
    select c.oid::regclass as name,
           substring(pg_get_expr(c.relpartbound, c.oid) from $re$TO \('([^']+)'\)$re$)::timestamptz as upper_bound
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = parent and pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
  loop
    continue when expired.upper_bound > cutoff;
    execute format('select count(*) from %s', expired.name) into held;
    execute format('drop table %s', expired.name);
    dropped := dropped + held;
  end loop;
  return dropped;
end
$$;
comment on function imgplane.drop_expired_partitions(regclass, timestamptz) is 'Drops the monthly partitions of a table whose whole range is older than cutoff and returns how many rows they held (delete_expired() calls it after deleting a batch of rows, last in its transaction).';
revoke all on function imgplane.drop_expired_partitions(regclass, timestamptz) from public;
