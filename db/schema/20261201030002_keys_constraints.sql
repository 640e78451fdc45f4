-- migrate:up
-- Every foreign key has an index that finds its referencing rows (a cascade or a parent's delete
-- otherwise scans the child table: deleting an API key scanned assets for 290 ms), and the key
-- columns whose state a tenant may change keep their meaning.

create index signing_keys_organization_id_idx on imgplane.signing_keys (organization_id, tenant_id);
create index assets_created_by_api_key_idx on imgplane.assets (created_by_api_key) where created_by_api_key is not null;
-- the space's live-asset indexes are partial (deleted_at is null): a space's cascade needs all rows
create index assets_space_id_idx on imgplane.assets (space_id);
-- the organisation-wide content lookup of uploads (platform/assets/asset-service.ts) and RLS-led scans
create index asset_versions_organization_content_idx on imgplane.asset_versions (organization_id, content_hash);

-- An asset's current version exists. Deferred to COMMIT: an upload inserts the asset, then its
-- first version; a new version is inserted before current_version moves to it.
alter table imgplane.assets
  add constraint assets_current_version_fkey foreign key (id, current_version)
  references imgplane.asset_versions (asset_id, version) on delete no action deferrable initially deferred;

-- A revoked key says when; an un-revoke is refused by trigger (db/functions/065_key_revocation.sql),
-- because a CHECK cannot see the row before the update.
update imgplane.api_keys set revoked_at = coalesce(revoked_at, created_at) where status = 'revoked';
alter table imgplane.api_keys
  add constraint api_keys_revoked_at_check check ((status = 'revoked') = (revoked_at is not null));
update imgplane.signing_keys set revoked_at = coalesce(revoked_at, created_at) where status = 'revoked';
alter table imgplane.signing_keys
  add constraint signing_keys_revoked_at_check check ((status = 'revoked') = (revoked_at is not null));

-- migrate:down
alter table imgplane.signing_keys drop constraint signing_keys_revoked_at_check;
alter table imgplane.api_keys drop constraint api_keys_revoked_at_check;
alter table imgplane.assets drop constraint assets_current_version_fkey;
drop index imgplane.asset_versions_organization_content_idx;
drop index imgplane.assets_space_id_idx;
drop index imgplane.assets_created_by_api_key_idx;
drop index imgplane.signing_keys_organization_id_idx;
