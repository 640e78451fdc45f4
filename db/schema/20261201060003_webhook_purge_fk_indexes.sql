-- migrate:up
-- Indexes for the foreign keys 060000/060001 left without one: deleting an organization or a
-- space cascades through them, and admins list an organization's attempts and a space's targets.
create index webhook_delivery_attempts_organization_id_idx on imgplane.webhook_delivery_attempts (organization_id);
create index cdn_purge_targets_space_id_idx on imgplane.cdn_purge_targets (space_id) where space_id is not null;

-- migrate:down
drop index imgplane.cdn_purge_targets_space_id_idx;
drop index imgplane.webhook_delivery_attempts_organization_id_idx;
