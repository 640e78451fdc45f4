-- migrate:up
-- CDNs to purge when an asset changes: per organization, or per space (then only for that space).
create table imgplane.cdn_purge_targets (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references imgplane.organizations (id) on delete cascade,
  space_id uuid references imgplane.spaces (id) on delete cascade,
  provider text not null check (provider in ('cloudflare', 'cloudfront', 'fastly', 'akamai', 'http')),
  -- non-secret settings (zone id, distribution id, service id, host, URL...), validated by the server
  settings jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  -- AES-256-GCM envelope (core/envelope.ts) of the provider credentials as JSON
  secret_ciphertext text not null,
  enabled boolean not null default true,
  description text not null default '' check (length(description) <= 500),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index cdn_purge_targets_organization_id_idx on imgplane.cdn_purge_targets (organization_id, space_id);
comment on table imgplane.cdn_purge_targets is 'A CDN purge adapter configured for an organization (space_id null) or one space. A new asset version, deletion, access change or purge request purges the asset there (docs/events.md).';
comment on column imgplane.cdn_purge_targets.provider is 'cloudflare, cloudfront, fastly, akamai or http (a generic POST).';
comment on column imgplane.cdn_purge_targets.settings is 'Provider settings that are not secret, e.g. {"zoneId": "..."} for Cloudflare.';
comment on column imgplane.cdn_purge_targets.secret_ciphertext is 'Encrypted provider credentials. Never readable by request roles.';

-- migrate:down
drop table imgplane.cdn_purge_targets;
