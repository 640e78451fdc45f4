-- migrate:up
-- The five request roles. Roles are cluster-wide, so several imgplane databases on one server share
-- them: create each only when missing, and tolerate a concurrent migration of another database
-- creating it first. They are NOLOGIN; the server's login role (the migrating user here) becomes a
-- member so that it can `set local role` per request.
do $$
declare
  role_name text;
begin
  foreach role_name in array array[
    'imgplane_admin', 'imgplane_tenant', 'imgplane_worker', 'imgplane_analyst', 'imgplane_anonymous'
  ] loop
    if not exists (select from pg_catalog.pg_roles where rolname = role_name) then
      begin
        execute format('create role %I nologin', role_name);
      exception when duplicate_object or unique_violation then
        null; -- created meanwhile by a migration of another database on this server
      end;
    end if;
    -- a superuser may already set any role; anyone else needs the membership
    if not (select rolsuper from pg_catalog.pg_roles where rolname = current_user) then
      execute format('grant %I to %I', role_name, current_user);
    end if;
  end loop;
end
$$;

-- migrate:down
-- Roles are shared by every imgplane database on the server: never dropped by one of them.
