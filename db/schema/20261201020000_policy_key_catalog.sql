-- migrate:up
-- The catalog of policy keys: one row per key of core/policy.ts, synced from it on every apply
-- (kind and built-in values), plus the platform operator's overrides of the platform-wide
-- default and maximum. effective_policy() and the ceiling check on imgplane.policies read it.
create table imgplane.policy_keys (
  key text primary key check (key ~ '^[a-z][a-z0-9_]{0,63}$'),
  kind text not null check (kind in ('preference', 'limit')),
  organization_only boolean not null default false,
  builtin_default jsonb not null,
  builtin_maximum jsonb,
  platform_default jsonb,
  platform_maximum jsonb,
  updated_at timestamptz not null default now(),
  check (kind = 'limit' or (builtin_maximum is null and platform_maximum is null and not organization_only)),
  check (kind = 'preference' or builtin_maximum is not null),
  check (platform_default is null or jsonb_typeof(platform_default) = jsonb_typeof(builtin_default)),
  check (platform_maximum is null or jsonb_typeof(platform_maximum) = jsonb_typeof(builtin_default))
);
comment on table imgplane.policy_keys is 'Every policy key (core/policy.ts, synced on each start) with its kind and the platform-wide default and maximum. Preferences: the nearest scope that sets one wins. Limits: smaller is tighter; the value in force is the least of the platform maximum, the organization value (or platform default) and any tenant or space value, and no scope may store a value above what the scope above it has in force. The platform operator changes platform_default and platform_maximum; nobody else may read or write this table.';
comment on column imgplane.policy_keys.kind is 'preference (nearest scope wins) or limit (a scope may only tighten).';
comment on column imgplane.policy_keys.organization_only is 'A limit counted per organization (rates, quotas): settable at organization scope only.';
comment on column imgplane.policy_keys.builtin_default is 'Default shipped in core/policy.ts (rewritten on every start).';
comment on column imgplane.policy_keys.builtin_maximum is 'Maximum shipped in core/policy.ts for a limit (rewritten on every start).';
comment on column imgplane.policy_keys.platform_default is 'The platform operator''s default, replacing builtin_default when set.';
comment on column imgplane.policy_keys.platform_maximum is 'The platform operator''s maximum for a limit (the ceiling of every organization), replacing builtin_maximum when set.';

-- migrate:down
drop table imgplane.policy_keys;
