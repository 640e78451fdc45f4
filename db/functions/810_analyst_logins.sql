-- Analyst logins for data teams: real PostgreSQL login roles, members of imgplane_analyst, each
-- mapped to the organization it may read (imgplane.analyst_logins; analyst_reaches() reads the
-- mapping through current_user). An organization-wide admin key creates them for its
-- organization (GraphQL createAnalystLogin, the CLI); only the platform operator creates a
-- platform-wide one. The password is generated here and returned once; only PostgreSQL keeps it
-- (hashed, in pg_authid).
--
-- Both functions are SECURITY DEFINER and owned by imgplane_analyst_admin (NOLOGIN CREATEROLE,
-- admin of imgplane_analyst and of the roles it creates), the one role allowed to create roles:
-- request roles and the authenticator never get CREATEROLE.

create or replace function imgplane.create_analyst_login(organization_id uuid)
returns table (role_name text, password text)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_slug text;
  v_role text;
  -- gen_random_uuid() draws from the server's strong random source: 244 random bits
  v_password constant text := replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
begin
  if create_analyst_login.organization_id is null then
    if coalesce(current_setting('role', true), '') <> 'imgplane_admin' then
      raise exception 'only the platform operator may create a platform-wide analyst login' using errcode = '42501';
    end if;
    v_slug := 'platform';
  else
    if not imgplane.caller_administers(create_analyst_login.organization_id, null) then
      raise exception 'creating analyst logins needs an organization-wide key with the admin scope' using errcode = '42501';
    end if;
    select o.slug into v_slug from imgplane.organizations o where o.id = create_analyst_login.organization_id;
    if not found then
      raise exception 'no organization %', create_analyst_login.organization_id using errcode = 'P0002';
    end if;
  end if;
  v_role := 'imgplane_an_' || left(replace(v_slug, '-', '_'), 40) || '_' || left(replace(gen_random_uuid()::text, '-', ''), 8);
  execute format('create role %I login inherit password %L in role imgplane_analyst', v_role, v_password);
  insert into imgplane.analyst_logins (role_name, organization_id, created_by_api_key)
  values (v_role, create_analyst_login.organization_id, imgplane.current_api_key_id());
  return query select v_role, v_password;
end
$$;
comment on function imgplane.create_analyst_login(uuid) is 'Creates a PostgreSQL login for a data team that reads usage and audit data of this organization only (null: of every organization, platform operator only). Returns the role name and its password, shown this once.';

create or replace function imgplane.drop_analyst_login(role_name text)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_login imgplane.analyst_logins;
begin
  select * into v_login from imgplane.analyst_logins l where l.role_name = drop_analyst_login.role_name;
  if not found then
    return false;
  end if;
  if v_login.organization_id is null then
    if coalesce(current_setting('role', true), '') <> 'imgplane_admin' then
      return false;
    end if;
  elsif not imgplane.caller_administers(v_login.organization_id, null) then
    return false; -- as for unknown logins: existence does not leak
  end if;
  delete from imgplane.analyst_logins l where l.role_name = v_login.role_name;
  execute format('drop role if exists %I', v_login.role_name);
  return true;
end
$$;
comment on function imgplane.drop_analyst_login(text) is 'Drops an analyst login the caller administers. Answers false for unknown logins and logins of other organizations.';

alter function imgplane.create_analyst_login(uuid) owner to imgplane_analyst_admin;
alter function imgplane.drop_analyst_login(text) owner to imgplane_analyst_admin;
revoke all on function imgplane.create_analyst_login(uuid) from public;
revoke all on function imgplane.drop_analyst_login(text) from public;
grant execute on function imgplane.create_analyst_login(uuid), imgplane.drop_analyst_login(text)
  to imgplane_admin, imgplane_tenant;
-- what the two functions call, as their owner
grant usage on schema imgplane to imgplane_analyst_admin;
grant execute on function imgplane.caller_administers(uuid, uuid), imgplane.current_api_key_id(),
  imgplane.current_org_id(), imgplane.current_tenant_id() to imgplane_analyst_admin;
