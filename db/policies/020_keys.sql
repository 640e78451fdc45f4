-- api_keys, signing_keys: key management needs the admin scope, within the key's reach.
-- Secret columns (secret_hash, secret_ciphertext) are never readable by a role GraphQL or a
-- request uses; authenticate_api_key() checks hashes as security definer, and the worker role is
-- the one trusted to read signing secrets (to sign and verify URLs on behalf of the platform).

alter table imgplane.api_keys enable row level security;
create policy tenant_admin on imgplane.api_keys to imgplane_tenant
  using (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, tenant_id))
  with check (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, tenant_id));
-- the baseline granted the operator everything: take the secret back
revoke select on imgplane.api_keys from imgplane_admin;
grant select (id, organization_id, tenant_id, key_id, name, scopes, status, expires_at, last_used_at, created_at, revoked_at)
  on imgplane.api_keys to imgplane_admin, imgplane_tenant, imgplane_worker;
grant insert (organization_id, tenant_id, key_id, name, secret_hash, scopes, expires_at), update (name, status, revoked_at)
  on imgplane.api_keys to imgplane_tenant;

alter table imgplane.signing_keys enable row level security;
create policy tenant_admin on imgplane.signing_keys to imgplane_tenant
  using (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, tenant_id))
  with check (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, tenant_id));
revoke select on imgplane.signing_keys from imgplane_admin;
grant select (id, organization_id, tenant_id, kid, status, created_at, deprecated_at, grace_until, revoked_at)
  on imgplane.signing_keys to imgplane_admin, imgplane_tenant;
grant insert (organization_id, tenant_id, kid, secret_ciphertext, status), update (status, deprecated_at, grace_until, revoked_at)
  on imgplane.signing_keys to imgplane_tenant;
grant select on imgplane.signing_keys to imgplane_worker;
