-- organizations, tenants, spaces, policies.
-- Tenant-role rule: rows of the request's organization; a tenant-scoped key sees its own tenant
-- only, plus read-only organization-level rows; organization-level rows change only with an
-- organization-wide admin key (see imgplane.request_* functions).

alter table imgplane.organizations enable row level security;
create policy tenant_read on imgplane.organizations for select to imgplane_tenant
  using (imgplane.request_may_read(id, null));
create policy tenant_change on imgplane.organizations for update to imgplane_tenant
  using (imgplane.request_may_change(id, null)) with check (imgplane.request_may_change(id, null));
create policy analyst_read on imgplane.organizations for select to imgplane_analyst
  using (imgplane.analyst_reaches(id));
create policy anonymous_read on imgplane.organizations for select to imgplane_anonymous
  using (status = 'active');
grant select on imgplane.organizations to imgplane_tenant, imgplane_worker, imgplane_analyst;
grant update (name) on imgplane.organizations to imgplane_tenant;
grant select (id, slug) on imgplane.organizations to imgplane_anonymous;

alter table imgplane.tenants enable row level security;
create policy tenant_read on imgplane.tenants for select to imgplane_tenant
  using (imgplane.request_reaches(organization_id, id));
-- tenants are organization-level structure: managed with an organization-wide admin key
create policy tenant_change on imgplane.tenants to imgplane_tenant
  using (imgplane.request_may_change(organization_id, null))
  with check (imgplane.request_may_change(organization_id, null));
create policy analyst_read on imgplane.tenants for select to imgplane_analyst
  using (organization_id = any (imgplane.analyst_organizations()));
create policy anonymous_read on imgplane.tenants for select to imgplane_anonymous
  using (status = 'active');
grant select, delete on imgplane.tenants to imgplane_tenant;
grant insert (organization_id, slug, name, status), update (name, status) on imgplane.tenants to imgplane_tenant;
grant select on imgplane.tenants to imgplane_worker, imgplane_analyst;
grant select (id, slug) on imgplane.tenants to imgplane_anonymous;

alter table imgplane.spaces enable row level security;
create policy tenant_rows on imgplane.spaces to imgplane_tenant
  using (imgplane.request_reaches(organization_id, tenant_id))
  with check (imgplane.request_reaches(organization_id, tenant_id));
create policy analyst_read on imgplane.spaces for select to imgplane_analyst
  using (organization_id = any (imgplane.analyst_organizations()));
create policy anonymous_read on imgplane.spaces for select to imgplane_anonymous
  using (status = 'active');
grant select, delete on imgplane.spaces to imgplane_tenant;
grant insert (organization_id, tenant_id, slug, name, status), update (name, status) on imgplane.spaces to imgplane_tenant;
grant select on imgplane.spaces to imgplane_worker, imgplane_analyst;
grant select (id, slug) on imgplane.spaces to imgplane_anonymous;

alter table imgplane.policies enable row level security;
create policy tenant_read on imgplane.policies for select to imgplane_tenant
  using (imgplane.request_may_read(organization_id, tenant_id));
create policy tenant_change on imgplane.policies to imgplane_tenant
  using (imgplane.request_may_change(organization_id, tenant_id))
  with check (imgplane.request_may_change(organization_id, tenant_id));
grant select, delete on imgplane.policies to imgplane_tenant;
grant insert (organization_id, tenant_id, space_id, key, value), update (value) on imgplane.policies to imgplane_tenant;
grant select on imgplane.policies to imgplane_worker;
