-- migrate:up
create schema imgplane;
comment on schema imgplane is 'imgplane: multi-tenant image platform. Every row belongs to an organization (and to a tenant and space where it lives in one); row-level security scopes each request to them.';

create table imgplane.organizations (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text not null,
  status text not null default 'active' check (status in ('active', 'suspended')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table imgplane.organizations is 'A customer of the platform: the top of the tenancy tree (organization > tenant > space).';
comment on column imgplane.organizations.slug is 'URL-safe name used in public delivery URLs; unique on the platform.';
comment on column imgplane.organizations.status is 'active, or suspended (no delivery, no API access).';

create table imgplane.tenants (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references imgplane.organizations (id) on delete cascade,
  slug text not null check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text not null,
  status text not null default 'active' check (status in ('active', 'suspended')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, slug),
  -- target of composite foreign keys: a child row cannot name a tenant of another organization
  unique (id, organization_id)
);
comment on table imgplane.tenants is 'A customer of an organization (for example one of its brands or clients).';
comment on column imgplane.tenants.slug is 'URL-safe name, unique within the organization.';
comment on column imgplane.tenants.status is 'active, or suspended (no delivery, no API access).';

create table imgplane.spaces (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null,
  tenant_id uuid not null,
  slug text not null check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text not null,
  status text not null default 'active' check (status in ('active', 'suspended')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, slug),
  unique (id, tenant_id, organization_id),
  foreign key (tenant_id, organization_id) references imgplane.tenants (id, organization_id) on delete cascade
);
create index spaces_organization_id_idx on imgplane.spaces (organization_id);
comment on table imgplane.spaces is 'A container of assets inside a tenant (for example one website); delivery URLs name org/tenant/space.';
comment on column imgplane.spaces.slug is 'URL-safe name, unique within the tenant.';
comment on column imgplane.spaces.status is 'active, or suspended (its public URLs stop resolving).';

create table imgplane.policies (
  id uuid primary key default gen_random_uuid(),
  organization_id uuid not null references imgplane.organizations (id) on delete cascade,
  tenant_id uuid,
  space_id uuid,
  key text not null check (key ~ '^[a-zA-Z][a-zA-Z0-9_]{0,63}$'),
  value jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (space_id is null or tenant_id is not null),
  unique nulls not distinct (organization_id, tenant_id, space_id, key),
  foreign key (tenant_id, organization_id) references imgplane.tenants (id, organization_id) on delete cascade,
  foreign key (space_id, tenant_id, organization_id) references imgplane.spaces (id, tenant_id, organization_id) on delete cascade
);
create index policies_tenant_id_idx on imgplane.policies (tenant_id) where tenant_id is not null;
create index policies_space_id_idx on imgplane.policies (space_id) where space_id is not null;
comment on table imgplane.policies is 'One policy setting (limits, formats, TTLs, quotas) at organization scope (tenant_id and space_id null), tenant scope (space_id null) or space scope. effective_policy() merges them, nearest scope wins; a JSON null at a nearer scope removes the key.';
comment on column imgplane.policies.key is 'Policy key as named in core/policy.ts (for example maxWidth).';
comment on column imgplane.policies.value is 'JSON value of the setting; validated by the server. JSON null unsets an inherited value.';

-- migrate:down
drop schema imgplane cascade;
