-- Webhook endpoints, CDN purge targets and purge requests. Secrets (webhook signing secrets, CDN
-- credentials) are sealed by the server (core/envelope.ts) and written only through these SECURITY
-- DEFINER functions, which check the caller's claims first (request roles have no grant on
-- secret_ciphertext). Purge requests write their audit row and outbox event here too, because
-- request roles may not write audit_logs or events themselves.

create or replace function imgplane.create_webhook_endpoint(
  p_organization_id uuid, p_url text, p_event_types text[], p_enabled boolean, p_description text,
  p_secret_ciphertext text)
returns uuid
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_id uuid;
begin
  -- Webhooks are organization-wide: a tenant-scoped admin key may not add one.
  if not imgplane.caller_administers(p_organization_id, null) then
    raise exception 'not allowed to manage webhooks of this organization' using errcode = '42501';
  end if;
  insert into imgplane.webhook_endpoints (organization_id, url, event_types, enabled, description, secret_ciphertext)
  values (p_organization_id, p_url, coalesce(p_event_types, '{}'), coalesce(p_enabled, true), coalesce(p_description, ''), p_secret_ciphertext)
  returning id into v_id;
  return v_id;
end
$$;
comment on function imgplane.create_webhook_endpoint(uuid, text, text[], boolean, text, text) is
  'Stores a webhook endpoint with its sealed secret. SECURITY DEFINER because request roles may not write secret_ciphertext; the caller must administer the organization (organization-wide key).';

create or replace function imgplane.rotate_webhook_secret(p_endpoint_id uuid, p_secret_ciphertext text)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_organization_id uuid;
begin
  select organization_id into v_organization_id from imgplane.webhook_endpoints where id = p_endpoint_id;
  if not found or not imgplane.caller_administers(v_organization_id, null) then
    return false;
  end if;
  update imgplane.webhook_endpoints set secret_ciphertext = p_secret_ciphertext where id = p_endpoint_id;
  return true;
end
$$;
comment on function imgplane.rotate_webhook_secret(uuid, text) is
  'Replaces a webhook endpoint''s sealed secret. Answers false for unknown endpoints and endpoints the caller may not manage, so existence does not leak.';

create or replace function imgplane.create_cdn_purge_target(
  p_organization_id uuid, p_space_id uuid, p_provider text, p_settings jsonb, p_secret_ciphertext text,
  p_enabled boolean, p_description text)
returns uuid
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_tenant_id uuid;
  v_id uuid;
begin
  if p_space_id is not null then
    select tenant_id into v_tenant_id from imgplane.spaces where id = p_space_id and organization_id = p_organization_id;
    if not found then
      raise exception 'no space % in this organization', p_space_id using errcode = '42501';
    end if;
  end if;
  -- An organization-wide target needs an organization-wide admin key; a space's, an admin key reaching its tenant.
  if not imgplane.caller_administers(p_organization_id, v_tenant_id) then
    raise exception 'not allowed to manage CDN purge targets here' using errcode = '42501';
  end if;
  insert into imgplane.cdn_purge_targets (organization_id, space_id, provider, settings, secret_ciphertext, enabled, description)
  values (p_organization_id, p_space_id, p_provider, coalesce(p_settings, '{}'), p_secret_ciphertext, coalesce(p_enabled, true), coalesce(p_description, ''))
  returning id into v_id;
  return v_id;
end
$$;
comment on function imgplane.create_cdn_purge_target(uuid, uuid, text, jsonb, text, boolean, text) is
  'Stores a CDN purge target with its sealed credentials. SECURITY DEFINER because request roles may not write secret_ciphertext; the caller''s admin rights are checked first.';

create or replace function imgplane.cdn_purge_target_tenant(p_target imgplane.cdn_purge_targets)
returns uuid
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$ select s.tenant_id from imgplane.spaces s where s.id = p_target.space_id $$;
comment on function imgplane.cdn_purge_target_tenant(imgplane.cdn_purge_targets) is
  'Tenant of a space-level purge target (null for organization-level ones), for the RLS policy. SECURITY DEFINER so a policy check does not depend on the caller seeing the space.';

create or replace function imgplane.set_cdn_purge_target_credentials(p_target_id uuid, p_secret_ciphertext text)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_target imgplane.cdn_purge_targets;
begin
  select * into v_target from imgplane.cdn_purge_targets where id = p_target_id;
  if not found or not imgplane.caller_administers(v_target.organization_id, imgplane.cdn_purge_target_tenant(v_target)) then
    return false;
  end if;
  update imgplane.cdn_purge_targets set secret_ciphertext = p_secret_ciphertext where id = p_target_id;
  return true;
end
$$;
comment on function imgplane.set_cdn_purge_target_credentials(uuid, text) is
  'Replaces a purge target''s sealed credentials. Answers false for unknown targets and targets the caller may not manage.';

create or replace function imgplane.caller_may_purge(p_organization_id uuid, p_tenant_id uuid)
returns boolean
language sql stable
as $$
  select coalesce(current_setting('role', true) = 'imgplane_admin', false)
      or (coalesce(current_setting('role', true) = 'imgplane_tenant', false)
          and imgplane.request_reaches(p_organization_id, p_tenant_id)
          and (imgplane.has_scope('image:write') or imgplane.has_scope('admin')))
$$;
comment on function imgplane.caller_may_purge(uuid, uuid) is
  'True when the request may purge the variants of assets of this organization and tenant: the platform admin, or a key reaching them with image:write or admin.';

create or replace function imgplane.record_purge(
  p_resource_type text, p_resource_id uuid, p_organization_id uuid, p_tenant_id uuid, p_space_id uuid,
  p_include_storage boolean)
returns void
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor record;
  v_details jsonb;
begin
  v_actor := imgplane.current_actor();
  v_details := jsonb_build_object('id', p_resource_id, 'organization_id', p_organization_id, 'tenant_id', p_tenant_id,
                                  'space_id', p_space_id, 'include_storage', p_include_storage);
  insert into imgplane.audit_logs (organization_id, tenant_id, actor_type, actor_id, action, resource_type, resource_id, old_row, new_row)
  values (p_organization_id, p_tenant_id, v_actor.actor_type, v_actor.actor_id, p_resource_type || '.purge', p_resource_type,
          p_resource_id, null, v_details);
  -- The outbox event makes the CDN purge at least once (worker/consumers/cdn-purge.ts).
  insert into imgplane.events (organization_id, tenant_id, event_type, aggregate_type, aggregate_id, payload)
  values (p_organization_id, p_tenant_id, p_resource_type || '.purged', p_resource_type, p_resource_id, v_details);
end
$$;
comment on function imgplane.record_purge(text, uuid, uuid, uuid, uuid, boolean) is
  'Writes the audit row and the <resource>.purged outbox event of a purge request. Internal to purge_asset() and purge_space().';
revoke all on function imgplane.record_purge(text, uuid, uuid, uuid, uuid, boolean) from public;

create or replace function imgplane.purge_asset(p_asset_id uuid, p_include_storage boolean)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_asset record;
begin
  select a.id, a.organization_id, a.tenant_id, a.space_id into v_asset
    from imgplane.assets a where a.id = p_asset_id and a.deleted_at is null;
  -- Unknown and not-yours answer alike (false, nothing written): the caller reports 404.
  if not found or not imgplane.caller_may_purge(v_asset.organization_id, v_asset.tenant_id) then
    return false;
  end if;
  perform imgplane.record_purge('asset', v_asset.id, v_asset.organization_id, v_asset.tenant_id, v_asset.space_id, p_include_storage);
  return true;
end
$$;
comment on function imgplane.purge_asset(uuid, boolean) is
  'Records a purge request for an asset (audit row, asset.purged event, which purges CDNs); false when the asset is unknown or the caller may not purge it. The caller drops the cached variants itself.';

create or replace function imgplane.purge_space(p_space_id uuid, p_include_storage boolean)
returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_space record;
begin
  select s.id, s.organization_id, s.tenant_id into v_space from imgplane.spaces s where s.id = p_space_id;
  if not found or not imgplane.caller_may_purge(v_space.organization_id, v_space.tenant_id) then
    return false;
  end if;
  perform imgplane.record_purge('space', v_space.id, v_space.organization_id, v_space.tenant_id, v_space.id, p_include_storage);
  return true;
end
$$;
comment on function imgplane.purge_space(uuid, boolean) is
  'Records a purge request for every asset of a space (audit row, space.purged event); false when the space is unknown or the caller may not purge it.';

revoke all on function imgplane.create_webhook_endpoint(uuid, text, text[], boolean, text, text) from public;
revoke all on function imgplane.rotate_webhook_secret(uuid, text) from public;
revoke all on function imgplane.create_cdn_purge_target(uuid, uuid, text, jsonb, text, boolean, text) from public;
revoke all on function imgplane.set_cdn_purge_target_credentials(uuid, text) from public;
revoke all on function imgplane.purge_asset(uuid, boolean) from public;
revoke all on function imgplane.purge_space(uuid, boolean) from public;
grant execute on function imgplane.create_webhook_endpoint(uuid, text, text[], boolean, text, text) to imgplane_admin, imgplane_tenant;
grant execute on function imgplane.rotate_webhook_secret(uuid, text) to imgplane_admin, imgplane_tenant;
grant execute on function imgplane.create_cdn_purge_target(uuid, uuid, text, jsonb, text, boolean, text) to imgplane_admin, imgplane_tenant;
grant execute on function imgplane.set_cdn_purge_target_credentials(uuid, text) to imgplane_admin, imgplane_tenant;
grant execute on function imgplane.purge_asset(uuid, boolean) to imgplane_admin, imgplane_tenant;
grant execute on function imgplane.purge_space(uuid, boolean) to imgplane_admin, imgplane_tenant;
grant execute on function imgplane.cdn_purge_target_tenant(imgplane.cdn_purge_targets) to imgplane_admin, imgplane_tenant, imgplane_worker;
grant execute on function imgplane.caller_may_purge(uuid, uuid) to imgplane_admin, imgplane_tenant;

create or replace trigger _050_set_updated_at before update on imgplane.webhook_endpoints
  for each row execute function imgplane.tg__set_updated_at();
create or replace trigger _050_set_updated_at before update on imgplane.webhook_deliveries
  for each row execute function imgplane.tg__set_updated_at();
create or replace trigger _050_set_updated_at before update on imgplane.cdn_purge_targets
  for each row execute function imgplane.tg__set_updated_at();
create or replace trigger _100_audit after insert or update or delete on imgplane.webhook_endpoints
  for each row execute function imgplane.tg__audit('webhook_endpoint');
create or replace trigger _100_audit after insert or update or delete on imgplane.cdn_purge_targets
  for each row execute function imgplane.tg__audit('cdn_purge_target');

-- A pending webhook delivery has exactly one graphile-worker job (key webhook_deliver:<id>) due at
-- its next_attempt_at: added when the delivery is inserted, moved when a failed attempt schedules
-- the next one, re-added by a replay. Task name and key must match platform/events/webhook-deliveries.ts.
create or replace function imgplane.tg_webhook_deliveries__enqueue() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  job_id bigint;
begin
  if to_regnamespace('graphile_worker') is null then
    return null;
  end if;
  execute 'select (graphile_worker.add_job($1, $2, run_at := $3, max_attempts := 3, job_key := $4, job_key_mode := ''replace'')).id'
    using 'webhook_deliver', json_build_object('deliveryId', new.id), new.next_attempt_at, 'webhook_deliver:' || new.id
    into job_id;
  -- As in tg_events__enqueue_dispatch: a keyed job locked by a running worker adds nothing.
  if job_id is null then
    execute 'select graphile_worker.add_job($1, $2, run_at := $3, max_attempts := 3)'
      using 'webhook_deliver', json_build_object('deliveryId', new.id), new.next_attempt_at;
  end if;
  return null;
end
$$;
comment on function imgplane.tg_webhook_deliveries__enqueue() is 'Trigger: schedules the graphile-worker webhook_deliver job of a pending delivery at its next_attempt_at. Security definer because the roles that write deliveries have no rights on the graphile_worker schema.';

create or replace trigger _900_enqueue_delivery
  after insert or update of status, next_attempt_at on imgplane.webhook_deliveries
  for each row when (new.status = 'pending')
  execute function imgplane.tg_webhook_deliveries__enqueue();
