-- storage_daily: written only by the security definer storage triggers; read like usage_metrics.
alter table imgplane.storage_daily enable row level security;
create policy tenant_read on imgplane.storage_daily for select to imgplane_tenant
  using (imgplane.request_reaches(organization_id, tenant_id));
create policy analyst_read on imgplane.storage_daily for select to imgplane_analyst
  using (organization_id = any (imgplane.analyst_organizations()));
grant select on imgplane.storage_daily to imgplane_tenant, imgplane_worker, imgplane_analyst;
