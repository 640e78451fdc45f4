-- migrate:up
create table imgplane.assets (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  tenant_id uuid not null,
  space_id uuid not null,
  current_version integer not null default 1 check (current_version >= 1),
  original_filename text,
  tags text[] not null default '{}',
  folder text not null default '/' check (folder ~ '^/'),
  access text not null default 'private' check (access in ('public', 'private')),
  created_by_api_key uuid references imgplane.api_keys (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz,
  -- target of composite foreign keys so versions and variants always share the asset's tenancy
  unique (id, organization_id, tenant_id, space_id),
  foreign key (space_id, tenant_id, organization_id) references imgplane.spaces (id, tenant_id, organization_id) on delete cascade
);
create index assets_space_live_idx on imgplane.assets (space_id, created_at desc) where deleted_at is null;
create index assets_space_folder_idx on imgplane.assets (space_id, folder) where deleted_at is null;
create index assets_tags_idx on imgplane.assets using gin (tags);
create index assets_organization_id_idx on imgplane.assets (organization_id, tenant_id);
comment on table imgplane.assets is 'An uploaded image. Its bytes live in asset_versions; replacing the image adds a version and bumps current_version. Soft-deleted when deleted_at is set.';
comment on column imgplane.assets.current_version is 'The version served by unversioned URLs.';
comment on column imgplane.assets.folder is 'Virtual folder path, starting with /.';
comment on column imgplane.assets.access is 'public: anonymous URLs may deliver it; private: signed URLs or API keys only.';
comment on column imgplane.assets.created_by_api_key is 'API key that uploaded the asset, if any.';
comment on column imgplane.assets.deleted_at is 'Soft deletion time; deleted assets are never delivered.';

create table imgplane.asset_versions (
  asset_id uuid not null,
  version integer not null check (version >= 1),
  organization_id uuid not null,
  tenant_id uuid not null,
  space_id uuid not null,
  content_hash char(64) not null check (content_hash ~ '^[0-9a-f]{64}$'),
  storage_provider text not null,
  storage_key text not null,
  size_bytes bigint not null check (size_bytes >= 0),
  mime_type text not null,
  format text not null,
  width integer check (width > 0),
  height integer check (height > 0),
  frames integer not null default 1 check (frames >= 1),
  has_alpha boolean not null default false,
  color_space text,
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  primary key (asset_id, version),
  foreign key (asset_id, organization_id, tenant_id, space_id)
    references imgplane.assets (id, organization_id, tenant_id, space_id) on delete cascade
);
create index asset_versions_dedupe_idx on imgplane.asset_versions (space_id, content_hash);
comment on table imgplane.asset_versions is 'The stored original bytes of one version of an asset, content-addressed.';
comment on column imgplane.asset_versions.content_hash is 'Hex SHA-256 of the original bytes; uploads dedupe on it within a space.';
comment on column imgplane.asset_versions.storage_key is 'Object key in the storage provider.';
comment on column imgplane.asset_versions.metadata is 'Extracted image metadata (EXIF and the like); may hold personal data such as GPS positions.';

create table imgplane.presets (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references imgplane.organizations (id) on delete cascade,
  tenant_id uuid,
  space_id uuid,
  name text not null check (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  description text,
  operations jsonb not null check (jsonb_typeof(operations) = 'object'),
  auto_generate boolean not null default false,
  match_tags text[] not null default '{}',
  match_folders text[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (space_id is null or tenant_id is not null),
  unique nulls not distinct (organization_id, tenant_id, space_id, name),
  foreign key (tenant_id, organization_id) references imgplane.tenants (id, organization_id) on delete cascade,
  foreign key (space_id, tenant_id, organization_id) references imgplane.spaces (id, tenant_id, organization_id) on delete cascade
);
create index presets_tenant_id_idx on imgplane.presets (tenant_id) where tenant_id is not null;
create index presets_space_id_idx on imgplane.presets (space_id) where space_id is not null;
comment on table imgplane.presets is 'Named transformation (used as preset_<name> in URLs) at organization, tenant or space scope; the nearest scope wins.';
comment on column imgplane.presets.operations is 'Object of URL operation keys to values, for example {"w":200,"h":200,"f":"cover","fmt":"webp"}; validated by the server.';
comment on column imgplane.presets.auto_generate is 'Pregenerate this preset for new assets that match match_tags / match_folders.';
comment on column imgplane.presets.match_tags is 'auto_generate applies to assets carrying any of these tags (empty: any asset).';
comment on column imgplane.presets.match_folders is 'auto_generate applies to assets under any of these folders (empty: any folder).';

create table imgplane.derived_assets (
  id uuid primary key default gen_random_uuid(),
  asset_id uuid not null,
  version integer not null,
  organization_id uuid not null,
  tenant_id uuid not null,
  space_id uuid not null,
  variant_key char(64) not null check (variant_key ~ '^[0-9a-f]{64}$'),
  operations_canonical text not null,
  output_format text not null,
  storage_provider text not null,
  storage_key text not null,
  size_bytes bigint not null check (size_bytes >= 0),
  content_hash char(64) not null check (content_hash ~ '^[0-9a-f]{64}$'),
  width integer check (width > 0),
  height integer check (height > 0),
  processing_time_ms integer check (processing_time_ms >= 0),
  access_count bigint not null default 0,
  last_accessed_at timestamptz,
  cache_tier text not null default 'hot' check (cache_tier in ('hot', 'warm', 'cold')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (asset_id, variant_key),
  foreign key (asset_id, version) references imgplane.asset_versions (asset_id, version) on delete cascade,
  foreign key (asset_id, organization_id, tenant_id, space_id)
    references imgplane.assets (id, organization_id, tenant_id, space_id) on delete cascade
);
create index derived_assets_tiering_idx on imgplane.derived_assets (cache_tier, last_accessed_at);
create index derived_assets_organization_id_idx on imgplane.derived_assets (organization_id, tenant_id);
comment on table imgplane.derived_assets is 'Registry of generated variants: one row per asset and canonical operations hash.';
comment on column imgplane.derived_assets.variant_key is 'Hex SHA-256 of the asset version and canonical operations; identifies the variant.';
comment on column imgplane.derived_assets.operations_canonical is 'Canonical operation string the variant was made from.';
comment on column imgplane.derived_assets.cache_tier is 'Storage tier chosen by lifecycle tiering: hot, warm or cold.';
comment on column imgplane.derived_assets.access_count is 'Deliveries counted by the usage flush; drives tiering and pruning.';

-- migrate:down
drop table imgplane.derived_assets;
drop table imgplane.presets;
drop table imgplane.asset_versions;
drop table imgplane.assets;
