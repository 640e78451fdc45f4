-- webhook_endpoints, webhook_deliveries, webhook_delivery_attempts, cdn_purge_targets.
-- Webhooks belong to the organization: only its organization-wide admin keys see and manage them
-- (request_reaches(org, null) is false for tenant-scoped keys). Secret columns are written only
-- by the security definer functions of db/functions/850_webhooks_cdn_purge.sql; the worker role
-- reads them to sign deliveries and call CDN APIs.

alter table imgplane.webhook_endpoints enable row level security;
create policy tenant_admin on imgplane.webhook_endpoints to imgplane_tenant
  using (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, null))
  with check (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, null));
revoke all on imgplane.webhook_endpoints from imgplane_admin;
grant select (id, organization_id, url, event_types, enabled, description, created_at, updated_at)
  on imgplane.webhook_endpoints to imgplane_admin, imgplane_tenant;
grant update (url, event_types, enabled, description) on imgplane.webhook_endpoints to imgplane_admin, imgplane_tenant;
grant delete on imgplane.webhook_endpoints to imgplane_admin, imgplane_tenant;
grant select on imgplane.webhook_endpoints to imgplane_worker;

alter table imgplane.webhook_deliveries enable row level security;
create policy tenant_admin_read on imgplane.webhook_deliveries for select to imgplane_tenant
  using (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, null));
-- replayWebhookDelivery sets a delivery back to pending as the caller
create policy tenant_admin_replay on imgplane.webhook_deliveries for update to imgplane_tenant
  using (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, null))
  with check (status = 'pending' and imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, null));
create policy worker_write on imgplane.webhook_deliveries to imgplane_worker
  using (true) with check (true);
grant select on imgplane.webhook_deliveries to imgplane_tenant, imgplane_worker;
grant update (status, next_attempt_at) on imgplane.webhook_deliveries to imgplane_tenant;
grant insert (organization_id, endpoint_id, event_id, event_type, body),
  update (status, attempts, next_attempt_at, last_status_code, last_error, delivered_at)
  on imgplane.webhook_deliveries to imgplane_worker;

alter table imgplane.webhook_delivery_attempts enable row level security;
create policy tenant_admin_read on imgplane.webhook_delivery_attempts for select to imgplane_tenant
  using (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, null));
create policy worker_write on imgplane.webhook_delivery_attempts for insert to imgplane_worker
  with check (true);
grant select on imgplane.webhook_delivery_attempts to imgplane_tenant, imgplane_worker;
grant insert (organization_id, delivery_id, attempt, started_at, duration_ms, status_code, error, succeeded)
  on imgplane.webhook_delivery_attempts to imgplane_worker;
grant usage on sequence imgplane.webhook_delivery_attempts_id_seq to imgplane_worker;

alter table imgplane.cdn_purge_targets enable row level security;
create policy tenant_admin on imgplane.cdn_purge_targets to imgplane_tenant
  using (imgplane.caller_administers(organization_id, imgplane.cdn_purge_target_tenant(cdn_purge_targets)))
  with check (imgplane.caller_administers(organization_id, imgplane.cdn_purge_target_tenant(cdn_purge_targets)));
revoke all on imgplane.cdn_purge_targets from imgplane_admin;
grant select (id, organization_id, space_id, provider, settings, enabled, description, created_at, updated_at)
  on imgplane.cdn_purge_targets to imgplane_admin, imgplane_tenant;
grant update (settings, enabled, description) on imgplane.cdn_purge_targets to imgplane_admin, imgplane_tenant;
grant delete on imgplane.cdn_purge_targets to imgplane_admin, imgplane_tenant;
grant select on imgplane.cdn_purge_targets to imgplane_worker;
