-- Roles as a boundary, re-established on every apply (last, so it covers every file above and
-- every migration, whoever wrote them):
--   * every object of schema imgplane belongs to imgplane_owner (NOLOGIN), not to the login that
--     ran the migrations, so no login owns, and thereby bypasses, anything;
--   * row-level security is FORCEd on every table: it binds the owner too, whose only way in is
--     the explicit owner_all policy, used by SECURITY DEFINER functions (owned by imgplane_owner)
--     and by the migrating login (a member of it);
--   * no function is executable by PUBLIC. Functions the request roles call are granted to
--     imgplane_admin, imgplane_tenant, imgplane_worker and imgplane_anonymous, unless their own
--     file granted them to some request role (that grant is the allow-list of a sensitive function:
--     record_usage, signing_key_secret, create_analyst_login, ...). Analysts get only what is
--     listed below, so no SECURITY DEFINER function can read another organization for them.
--     Trigger functions need no EXECUTE and get none.
do $$
declare
  obj record;
  -- what analyst logins (members of imgplane_analyst) may execute: the helpers of their policies
  analyst_functions constant text[] := array['analyst_reaches', 'analyst_organizations'];
begin
  execute 'alter schema imgplane owner to imgplane_owner';
  for obj in
    select c.oid::regclass as name, c.relkind from pg_catalog.pg_class c
     where c.relnamespace = 'imgplane'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
       and c.relowner <> 'imgplane_owner'::regrole
  loop
    execute format('alter %s %s owner to imgplane_owner',
      case obj.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table' else 'table' end,
      obj.name);
  end loop;
  for obj in
    select p.oid::regprocedure as name from pg_catalog.pg_proc p
     where p.pronamespace = 'imgplane'::regnamespace and p.prokind in ('f', 'p')
       and p.proowner not in ('imgplane_owner'::regrole, 'imgplane_analyst_admin'::regrole)
  loop
    execute format('alter routine %s owner to imgplane_owner', obj.name);
  end loop;

  for obj in select c.oid::regclass as name, c.relispartition from pg_catalog.pg_class c
              where c.relnamespace = 'imgplane'::regnamespace and c.relkind in ('r', 'p') loop
    -- a partition has no policy of its own but the owner's: it is read through its parent
    if obj.relispartition then
      execute format('alter table %s enable row level security', obj.name);
    end if;
    execute format('alter table %s force row level security', obj.name);
    execute format('create policy owner_all on %s to imgplane_owner using (true) with check (true)', obj.name);
  end loop;

  for obj in
    select p.oid::regprocedure as name, p.proname, p.prorettype = 'trigger'::regtype as is_trigger,
           p.proacl is null or exists (select from aclexplode(p.proacl) a where a.grantee = 0) as public_executes,
           p.proacl is not null and exists (
             select from aclexplode(p.proacl) a join pg_catalog.pg_roles r on r.oid = a.grantee
              where r.rolname in ('imgplane_admin', 'imgplane_tenant', 'imgplane_worker', 'imgplane_analyst', 'imgplane_anonymous')
           ) as granted_explicitly
      from pg_catalog.pg_proc p
     where p.pronamespace = 'imgplane'::regnamespace and p.prokind in ('f', 'p')
  loop
    if obj.public_executes then
      execute format('revoke execute on routine %s from public', obj.name);
      if not obj.is_trigger and not obj.granted_explicitly then
        execute format('grant execute on routine %s to imgplane_admin, imgplane_tenant, imgplane_worker, imgplane_anonymous', obj.name);
      end if;
    end if;
    -- analysts: exactly the list, whatever a function's own file granted
    if obj.proname = any (analyst_functions) then
      execute format('grant execute on routine %s to imgplane_analyst', obj.name);
    else
      execute format('revoke execute on routine %s from imgplane_analyst', obj.name);
    end if;
  end loop;
end
$$;

-- Functions created later (by a migration, before the next apply) start without PUBLIC.
alter default privileges in schema imgplane revoke execute on routines from public;
alter default privileges for role imgplane_owner in schema imgplane revoke execute on routines from public;
