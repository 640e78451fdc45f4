-- usage_monthly: written by record_usage() (security definer); read like usage_metrics.
alter table imgplane.usage_monthly enable row level security;
create policy tenant_read on imgplane.usage_monthly for select to imgplane_tenant
  using (imgplane.request_reaches(organization_id, tenant_id));
create policy analyst_read on imgplane.usage_monthly for select to imgplane_analyst
  using (organization_id = any (imgplane.analyst_organizations()));
grant select on imgplane.usage_monthly to imgplane_tenant, imgplane_worker, imgplane_analyst;
