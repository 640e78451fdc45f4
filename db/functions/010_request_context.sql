-- Request context: the server runs every request in a transaction with `set local role` and these
-- transaction-local settings (set_config(name, value, true)). Row-level security policies read
-- them only through the functions below, so their meaning is defined in one place. Every one of
-- them must stay inlinable (language sql, one SELECT of an expression, no sub-SELECT, not
-- SECURITY DEFINER): PostgreSQL inlines no SQL function whose body holds a sub-SELECT, and a
-- policy calling a function that is not inlined runs it once per row, where no index can serve
-- it. Inlined, `organization_id = current_org_id()` becomes a stable expression that an index
-- scan evaluates once (1M-row assets, an organisation's count: 408 ms by sequential scan with
-- `(select ...)` inside these bodies, 0.7 ms by index-only scan without; test/db/rls-plans.test.ts).
--   imgplane.org_id      uuid of the key's organization ('' or unset: none)
--   imgplane.tenant_id   uuid of the key's tenant ('' when the key is organization-wide)
--   imgplane.api_key_id  uuid of the API key (audit actor)
--   imgplane.scopes      comma-separated scopes of the key, e.g. 'image:read,admin'

create or replace function imgplane.current_org_id() returns uuid
language sql stable parallel safe
as $$ select nullif(current_setting('imgplane.org_id', true), '')::uuid $$;
comment on function imgplane.current_org_id() is 'Organization of the current request (setting imgplane.org_id), null when unset.';

create or replace function imgplane.current_tenant_id() returns uuid
language sql stable parallel safe
as $$ select nullif(current_setting('imgplane.tenant_id', true), '')::uuid $$;
comment on function imgplane.current_tenant_id() is 'Tenant of the current request (setting imgplane.tenant_id); null when the key is organization-wide.';

create or replace function imgplane.current_api_key_id() returns uuid
language sql stable parallel safe
as $$ select nullif(current_setting('imgplane.api_key_id', true), '')::uuid $$;
comment on function imgplane.current_api_key_id() is 'API key of the current request (setting imgplane.api_key_id), null when unset.';

create or replace function imgplane.has_scope(scope text) returns boolean
language sql stable parallel safe
as $$
  select has_scope.scope = any (string_to_array(nullif(current_setting('imgplane.scopes', true), ''), ','))
$$;
comment on function imgplane.has_scope(text) is 'True when the current request''s key carries the scope (setting imgplane.scopes).';

create or replace function imgplane.request_reaches(organization_id uuid, tenant_id uuid) returns boolean
language sql stable parallel safe
as $$
  select request_reaches.organization_id = imgplane.current_org_id()
     and (imgplane.current_tenant_id() is null or request_reaches.tenant_id = imgplane.current_tenant_id())
$$;
comment on function imgplane.request_reaches(uuid, uuid) is 'Row belongs to the request: same organization and, for a tenant-scoped key, same tenant. Organization-level rows (tenant null) reach only organization-wide keys.';

create or replace function imgplane.request_may_read(organization_id uuid, tenant_id uuid) returns boolean
language sql stable parallel safe
as $$
  select imgplane.request_reaches(request_may_read.organization_id, request_may_read.tenant_id)
      or (request_may_read.tenant_id is null and request_may_read.organization_id = imgplane.current_org_id())
$$;
comment on function imgplane.request_may_read(uuid, uuid) is 'request_reaches, plus read-only visibility of organization-level rows (tenant null) of the request''s organization for tenant-scoped keys.';

create or replace function imgplane.request_may_change(organization_id uuid, tenant_id uuid) returns boolean
language sql stable parallel safe
as $$
  select imgplane.request_reaches(request_may_change.organization_id, request_may_change.tenant_id)
     and (request_may_change.tenant_id is not null or imgplane.has_scope('admin'))
$$;
comment on function imgplane.request_may_change(uuid, uuid) is 'request_reaches, and organization-level rows (tenant null) change only with an organization-wide key holding the admin scope.';

-- Analysts log in as their own roles (imgplane.analyst_logins, created by create_analyst_login()):
-- what one sees follows from current_user, which no setting changes; `set role imgplane_analyst`
-- makes current_user a role without a mapping, which sees nothing.
create or replace function imgplane.analyst_reaches(organization_id uuid) returns boolean
language sql stable parallel safe
as $$
  select (select bool_or(l.organization_id is null) from imgplane.analyst_logins l where l.role_name = current_user::text)
      or analyst_reaches.organization_id = (select l.organization_id from imgplane.analyst_logins l where l.role_name = current_user::text)
$$;
comment on function imgplane.analyst_reaches(uuid) is 'Analyst visibility, derived from the login role (current_user) through imgplane.analyst_logins: its organization, or every one for a platform-wide analyst; nothing for any other role.';

-- analyst_reaches() looks the login up with sub-SELECTs, so PostgreSQL cannot inline it: in a
-- policy it runs once per row and no index serves it (a sequential scan of all of usage_metrics
-- for an analyst of one organisation). This is the same visibility as an array, computed once
-- per statement: `organization_id = any (imgplane.analyst_organizations())` is an index
-- condition. The caller's own privileges and policies apply (it reads the login's mapping and,
-- for a platform-wide login, the organisations it may see), so it tells nobody more than they see.
create or replace function imgplane.analyst_organizations() returns uuid[]
language sql stable parallel safe
as $$
  select case
    when (select bool_or(l.organization_id is null) from imgplane.analyst_logins l where l.role_name = current_user::text)
      then array(select o.id from imgplane.organizations o)
    else array(select l.organization_id from imgplane.analyst_logins l where l.role_name = current_user::text and l.organization_id is not null)
  end
$$;
comment on function imgplane.analyst_organizations() is 'The organizations the calling analyst login reads (analyst_reaches() as an array, for policies that an index can serve): its own, or every one for a platform-wide login; empty for any other role.';
