-- migrate:up
-- An organisation's live assets, newest first (GraphQL allAssets without a space filter, its
-- totalCount): with the RLS helpers inlined, `organization_id = current_org_id()` is an index
-- condition, and tenant_id, included, lets the count run as an index-only scan with the tenant
-- filter checked in the index.
create index assets_organization_live_idx on imgplane.assets (organization_id, created_at desc) include (tenant_id)
  where deleted_at is null;

-- migrate:down
drop index imgplane.assets_organization_live_idx;
