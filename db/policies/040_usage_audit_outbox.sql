-- usage_metrics, audit_logs, events and the usage views for data teams.

alter table imgplane.usage_metrics enable row level security;
create policy tenant_read on imgplane.usage_metrics for select to imgplane_tenant
  using (imgplane.request_reaches(organization_id, tenant_id));
create policy analyst_read on imgplane.usage_metrics for select to imgplane_analyst
  using (organization_id = any (imgplane.analyst_organizations()));
-- usage rollups run as jobs across organizations
create policy worker_write on imgplane.usage_metrics to imgplane_worker
  using (true) with check (true);
grant select on imgplane.usage_metrics to imgplane_tenant, imgplane_worker, imgplane_analyst;
grant insert (day, organization_id, tenant_id, space_id, request_count, bandwidth_bytes, transform_count,
  transform_cpu_ms, cache_hit_count, upload_count, upload_bytes),
  update (request_count, bandwidth_bytes, transform_count, transform_cpu_ms, cache_hit_count, upload_count, upload_bytes)
  on imgplane.usage_metrics to imgplane_worker;

-- written only by the security definer triggers
alter table imgplane.audit_logs enable row level security;
create policy tenant_admin_read on imgplane.audit_logs for select to imgplane_tenant
  using (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, tenant_id));
-- platform operator rows (no organization) only for a platform-wide login
create policy analyst_read on imgplane.audit_logs for select to imgplane_analyst
  using (organization_id = any (imgplane.analyst_organizations())
         or (organization_id is null and imgplane.analyst_reaches(null)));
grant select on imgplane.audit_logs to imgplane_tenant, imgplane_worker, imgplane_analyst;

-- written only by the security definer triggers; delivered by the worker
alter table imgplane.events enable row level security;
create policy worker_deliver on imgplane.events for update to imgplane_worker
  using (true) with check (true);
grant select on imgplane.events to imgplane_worker;
grant update (available_at, delivered_at, dead_at, attempts, last_error) on imgplane.events to imgplane_worker;

-- security_invoker views: the row-level security of the tables above still applies
grant select on imgplane.usage_daily_by_space, imgplane.usage_monthly_by_organization
  to imgplane_tenant, imgplane_analyst;
