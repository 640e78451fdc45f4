-- migrate:up
-- Roles as a boundary (graphile/starter's shape):
--   imgplane_owner          NOLOGIN; owns every object of schema imgplane (db/policies/990_role_boundary.sql
--                           hands new objects to it on every apply). The migrating login is a member.
--   imgplane_authenticator  LOGIN NOINHERIT: the servers' and workers' login. It holds no privilege
--                           of its own; it may only become one of the request roles, per transaction.
--   imgplane_analyst_admin  NOLOGIN CREATEROLE: owns the two functions that create and drop analyst
--                           logins (db/functions/810_analyst_logins.sql), nothing else.
-- Roles are cluster-wide: create each only when missing and tolerate a concurrent migration of
-- another imgplane database on the same server creating it first.
do $$
declare
  spec record;
  migrator_is_superuser constant boolean := (select rolsuper from pg_catalog.pg_roles where rolname = current_user);
begin
  for spec in select * from (values
    ('imgplane_owner', 'nologin'),
    ('imgplane_authenticator', 'login noinherit'),
    ('imgplane_analyst_admin', 'nologin createrole')
  ) as r (role_name, options) loop
    if not exists (select from pg_catalog.pg_roles where rolname = spec.role_name) then
      begin
        execute format('create role %I %s', spec.role_name, spec.options);
      exception when duplicate_object or unique_violation then
        null;
      end;
    end if;
  end loop;
  -- the migrating login hands objects to these two (ALTER ... OWNER needs the membership)
  if not migrator_is_superuser then
    execute format('grant imgplane_owner, imgplane_analyst_admin to %I', current_user);
  end if;
  grant imgplane_admin, imgplane_tenant, imgplane_worker, imgplane_analyst, imgplane_anonymous to imgplane_authenticator;
  -- analyst logins are made members of imgplane_analyst by imgplane_analyst_admin
  grant imgplane_analyst to imgplane_analyst_admin with admin option;
end
$$;

create table imgplane.analyst_logins (
  role_name text primary key check (role_name ~ '^imgplane_an_[a-z0-9_]{1,50}$'),
  -- null: a platform-wide analyst (created by the platform operator only)
  organization_id uuid references imgplane.organizations (id) on delete cascade,
  created_by_api_key uuid references imgplane.api_keys (id) on delete set null,
  created_at timestamptz not null default now()
);
create index analyst_logins_organization_id_idx on imgplane.analyst_logins (organization_id);
create index analyst_logins_created_by_api_key_idx on imgplane.analyst_logins (created_by_api_key) where created_by_api_key is not null;
comment on table imgplane.analyst_logins is 'PostgreSQL login roles for data teams, and the organization each may read (null: every organization). What an analyst sees is derived from the role it is logged in as (current_user), never from a setting it could change.';
comment on column imgplane.analyst_logins.role_name is 'The login role (member of imgplane_analyst).';
comment on column imgplane.analyst_logins.organization_id is 'The one organization the login reads; null for a platform-wide analyst.';
comment on column imgplane.analyst_logins.created_by_api_key is 'API key that created the login (null when made by the platform operator without a key, or the key is gone).';

-- migrate:down
drop table imgplane.analyst_logins;
-- Roles are shared by every imgplane database on the server: never dropped by one of them.
