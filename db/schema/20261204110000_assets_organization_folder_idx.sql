-- migrate:up
-- An organisation's live assets under a folder (GraphQL `folder: { startsWith: "/shop" }`, which
-- graphql/starts-with.ts sends as the leakproof starts_with()): text_pattern_ops, because prefix
-- ranges need an ordering by bytes and the database's collation need not be "C".
create index assets_organization_folder_idx on imgplane.assets (organization_id, folder text_pattern_ops)
  where deleted_at is null;

-- migrate:down
drop index imgplane.assets_organization_folder_idx;
