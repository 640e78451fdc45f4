-- api_keys, signing_keys: key management needs the admin scope, within the key's reach.
-- Secret columns (secret_hash, secret_ciphertext) are neither readable nor writable by a role that
-- GraphQL or a request uses: keys are created through security definer functions
-- (create_api_key, rotate_signing_key) and checked by authenticate_api_key(); the worker role is
-- the one trusted to read signing secrets, to sign and verify URLs for the platform.

alter table imgplane.api_keys enable row level security;
create policy tenant_admin on imgplane.api_keys to imgplane_tenant
  using (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, tenant_id))
  with check (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, tenant_id));
-- the baseline granted the operator everything: take the secret back
revoke all on imgplane.api_keys from imgplane_admin;
grant select (id, organization_id, tenant_id, key_id, name, scopes, status, expires_at, last_used_at, created_at, revoked_at)
  on imgplane.api_keys to imgplane_admin, imgplane_tenant, imgplane_worker;
grant update (name, status, revoked_at) on imgplane.api_keys to imgplane_admin, imgplane_tenant;
grant delete on imgplane.api_keys to imgplane_admin;

alter table imgplane.signing_keys enable row level security;
create policy tenant_admin on imgplane.signing_keys to imgplane_tenant
  using (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, tenant_id))
  with check (imgplane.has_scope('admin') and imgplane.request_reaches(organization_id, tenant_id));
revoke all on imgplane.signing_keys from imgplane_admin;
grant select (id, organization_id, tenant_id, kid, status, created_at, deprecated_at, grace_until, revoked_at)
  on imgplane.signing_keys to imgplane_admin, imgplane_tenant;
grant update (status, deprecated_at, grace_until, revoked_at) on imgplane.signing_keys to imgplane_admin, imgplane_tenant;
grant delete on imgplane.signing_keys to imgplane_admin;
grant select on imgplane.signing_keys to imgplane_worker;
