-- assets, asset_versions, presets, derived_assets.

alter table imgplane.assets enable row level security;
create policy tenant_rows on imgplane.assets to imgplane_tenant
  using (imgplane.request_reaches(organization_id, tenant_id))
  with check (imgplane.request_reaches(organization_id, tenant_id));
create policy anonymous_read on imgplane.assets for select to imgplane_anonymous
  using (access = 'public' and deleted_at is null);
grant select, delete on imgplane.assets to imgplane_tenant;
grant insert (organization_id, tenant_id, space_id, current_version, original_filename, tags, folder, access, created_by_api_key),
  update (current_version, original_filename, tags, folder, access, deleted_at)
  on imgplane.assets to imgplane_tenant;
grant select on imgplane.assets to imgplane_worker;
grant select (id, organization_id, tenant_id, space_id, current_version, access, updated_at, deleted_at) on imgplane.assets to imgplane_anonymous;

alter table imgplane.asset_versions enable row level security;
create policy tenant_rows on imgplane.asset_versions to imgplane_tenant
  using (imgplane.request_reaches(organization_id, tenant_id))
  with check (imgplane.request_reaches(organization_id, tenant_id));
-- versions of the assets anonymous may see (the subquery runs under the assets policy above)
create policy anonymous_read on imgplane.asset_versions for select to imgplane_anonymous
  using (exists (select from imgplane.assets a where a.id = asset_id));
grant select on imgplane.asset_versions to imgplane_tenant, imgplane_worker;
grant insert (asset_id, version, organization_id, tenant_id, space_id, content_hash, storage_provider, storage_key,
  size_bytes, mime_type, format, width, height, frames, has_alpha, color_space, metadata)
  on imgplane.asset_versions to imgplane_tenant;
-- not metadata: EXIF may carry personal data (GPS positions) that public delivery must not expose
grant select (asset_id, version, organization_id, tenant_id, space_id, content_hash, storage_provider, storage_key,
  size_bytes, mime_type, format, width, height, frames, has_alpha, color_space, created_at)
  on imgplane.asset_versions to imgplane_anonymous;

alter table imgplane.presets enable row level security;
create policy tenant_read on imgplane.presets for select to imgplane_tenant
  using (imgplane.request_may_read(organization_id, tenant_id));
create policy tenant_change on imgplane.presets to imgplane_tenant
  using (imgplane.request_may_change(organization_id, tenant_id))
  with check (imgplane.request_may_change(organization_id, tenant_id));
grant select, delete on imgplane.presets to imgplane_tenant;
grant insert (organization_id, tenant_id, space_id, name, description, operations, auto_generate, match_tags, match_folders),
  update (name, description, operations, auto_generate, match_tags, match_folders)
  on imgplane.presets to imgplane_tenant;
grant select on imgplane.presets to imgplane_worker;

alter table imgplane.derived_assets enable row level security;
create policy tenant_rows on imgplane.derived_assets to imgplane_tenant
  using (imgplane.request_reaches(organization_id, tenant_id))
  with check (imgplane.request_reaches(organization_id, tenant_id));
-- jobs generate, tier and prune variants of every organization
create policy worker_write on imgplane.derived_assets to imgplane_worker
  using (true) with check (true);
grant select, delete on imgplane.derived_assets to imgplane_tenant, imgplane_worker;
-- the columns register_variant() writes
grant insert (asset_id, version, organization_id, tenant_id, space_id, variant_key, operations_canonical, output_format,
  storage_provider, storage_key, size_bytes, content_hash, width, height, processing_time_ms)
  on imgplane.derived_assets to imgplane_tenant, imgplane_worker;
grant update (access_count, last_accessed_at, cache_tier, storage_provider, storage_key)
  on imgplane.derived_assets to imgplane_worker;
