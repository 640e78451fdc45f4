-- migrate:up
create table imgplane.api_keys (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid references imgplane.organizations (id) on delete cascade,
  tenant_id uuid,
  key_id text not null unique check (key_id ~ '^[A-Za-z0-9]{6,64}$'),
  name text not null,
  -- Hex SHA-256 of the whole secret. Secrets are 256-bit random strings, so a fast unsalted hash is
  -- the right tool: there is nothing to brute-force, and authentication stays cheap per request.
  secret_hash text not null check (secret_hash ~ '^[0-9a-f]{64}$'),
  scopes text[] not null default '{}' check (scopes <@ array['image:read', 'image:write', 'sign', 'admin']),
  status text not null default 'active' check (status in ('active', 'revoked')),
  expires_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  check (tenant_id is null or organization_id is not null),
  foreign key (tenant_id, organization_id) references imgplane.tenants (id, organization_id) on delete cascade
);
create index api_keys_organization_id_idx on imgplane.api_keys (organization_id, tenant_id);
comment on table imgplane.api_keys is 'API keys. organization_id null = platform operator key; tenant_id set = key limited to that tenant. The secret is shown once at creation and only its hash is stored.';
comment on column imgplane.api_keys.key_id is 'Public identifier embedded in the secret (imgp_live_<key_id>_<random>), used to find the key.';
comment on column imgplane.api_keys.secret_hash is 'Hex SHA-256 of the full secret. Never readable by request roles.';
comment on column imgplane.api_keys.scopes is 'Granted scopes, a subset of image:read, image:write, sign, admin.';
comment on column imgplane.api_keys.last_used_at is 'Last successful authentication, refreshed at most once a minute.';

create table imgplane.signing_keys (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references imgplane.organizations (id) on delete cascade,
  tenant_id uuid,
  kid text not null unique check (kid ~ '^[A-Za-z0-9_-]{1,64}$'),
  -- AES-256-GCM envelope produced by the server; the database never sees the plaintext secret.
  secret_ciphertext text not null,
  status text not null default 'active' check (status in ('active', 'deprecated', 'revoked')),
  created_at timestamptz not null default now(),
  deprecated_at timestamptz,
  grace_until timestamptz,
  revoked_at timestamptz,
  foreign key (tenant_id, organization_id) references imgplane.tenants (id, organization_id) on delete cascade
);
-- Rotation inserts the new key and deprecates the old one in one transaction: one signer at a time.
create unique index signing_keys_one_active_idx on imgplane.signing_keys (organization_id, tenant_id)
  nulls not distinct where status = 'active';
comment on table imgplane.signing_keys is 'URL signing keys of an organization (tenant_id null) or tenant. One active key signs; deprecated keys still verify until grace_until; revoked keys never verify.';
comment on column imgplane.signing_keys.kid is 'Key id carried in signed URLs to pick the verifying key.';
comment on column imgplane.signing_keys.secret_ciphertext is 'AES-256-GCM envelope of the HMAC secret, made by the server. Never readable by request roles.';
comment on column imgplane.signing_keys.grace_until is 'A deprecated key verifies signatures until this time.';

-- migrate:down
drop table imgplane.signing_keys;
drop table imgplane.api_keys;
