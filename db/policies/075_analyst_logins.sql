-- analyst_logins: an analyst reads its own mapping (analyst_reaches() looks it up as the analyst);
-- an organization-wide admin key lists its organization's logins; only the two SECURITY DEFINER
-- functions of db/functions/810_analyst_logins.sql (owner imgplane_analyst_admin) write it.
alter table imgplane.analyst_logins enable row level security;
create policy analyst_own on imgplane.analyst_logins for select to imgplane_analyst
  using (role_name = current_user::text);
create policy tenant_admin_read on imgplane.analyst_logins for select to imgplane_tenant
  using (imgplane.request_may_change(organization_id, null) and organization_id is not null);
create policy analyst_admin_all on imgplane.analyst_logins to imgplane_analyst_admin
  using (true) with check (true);
grant select on imgplane.analyst_logins to imgplane_analyst, imgplane_tenant, imgplane_worker;
grant select, insert, delete on imgplane.analyst_logins to imgplane_analyst_admin;

-- create_analyst_login() reads the organization's slug for the role name
create policy analyst_admin_read on imgplane.organizations for select to imgplane_analyst_admin using (true);
grant select (id, slug) on imgplane.organizations to imgplane_analyst_admin;
