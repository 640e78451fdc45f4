-- policy_keys: the platform operator's table. Rows are synced from core/policy.ts by db/apply.ts
-- (as the owner); the operator (imgplane_admin, a platform key) may change only the platform-wide
-- default and maximum. Request roles read it only through imgplane.platform_policy().
alter table imgplane.policy_keys enable row level security;
revoke all on imgplane.policy_keys from imgplane_admin, imgplane_worker;
grant select, update (platform_default, platform_maximum) on imgplane.policy_keys to imgplane_admin;
grant select on imgplane.policy_keys to imgplane_worker;
