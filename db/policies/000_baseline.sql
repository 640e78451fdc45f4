-- Policies and table grants are declared from scratch on every apply: drop every policy and revoke
-- every table privilege of the request roles in schema imgplane, then the files below state the
-- whole truth. (Function privileges live beside each function in db/functions.)
-- (All of it runs in one transaction, so no request ever sees the gap.)
do $$
declare
  existing record;
begin
  for existing in select schemaname, tablename, policyname from pg_catalog.pg_policies where schemaname = 'imgplane' loop
    execute format('drop policy %I on %I.%I', existing.policyname, existing.schemaname, existing.tablename);
  end loop;
end
$$;
revoke all on all tables in schema imgplane
  from public, imgplane_admin, imgplane_tenant, imgplane_worker, imgplane_analyst, imgplane_anonymous;
revoke all on all sequences in schema imgplane
  from public, imgplane_admin, imgplane_tenant, imgplane_worker, imgplane_analyst, imgplane_anonymous;

grant usage on schema imgplane
  to imgplane_admin, imgplane_tenant, imgplane_worker, imgplane_analyst, imgplane_anonymous;

-- The platform operator may do everything, and background jobs may read everything, in every table.
-- Policies for every table here; each table's own file enables row-level security and grants.
do $$
declare
  tbl regclass;
begin
  -- partitions are read through their parent's policies (db/functions/076_partitions.sql)
  for tbl in select c.oid::regclass from pg_catalog.pg_class c
             where c.relnamespace = 'imgplane'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition loop
    execute format('create policy admin_all on %s to imgplane_admin using (true) with check (true)', tbl);
    execute format('create policy worker_read on %s for select to imgplane_worker using (true)', tbl);
  end loop;
end
$$;
grant all on all tables in schema imgplane to imgplane_admin;
-- ... through the parent only, as for every request role
do $$
declare
  part regclass;
begin
  for part in select c.oid::regclass from pg_catalog.pg_class c
              where c.relnamespace = 'imgplane'::regnamespace and c.relkind in ('r', 'p') and c.relispartition loop
    execute format('revoke all on %s from imgplane_admin', part);
  end loop;
end
$$;
grant usage on all sequences in schema imgplane to imgplane_admin;
