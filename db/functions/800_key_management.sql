-- Key management. Request roles may never write or read secret columns (CONVENTIONS: no grants on
-- secrets to roles GraphQL uses), so creating and rotating keys goes through these SECURITY
-- DEFINER functions, which check the caller's claims themselves before touching a secret column.

create or replace function imgplane.caller_administers(p_organization_id uuid, p_tenant_id uuid)
returns boolean
language sql
stable
as $$
  select coalesce(current_setting('role', true) = 'imgplane_admin', false)
      or (coalesce(current_setting('role', true) = 'imgplane_tenant', false)
          and imgplane.current_org_id() = p_organization_id
          and 'admin' = any (string_to_array(coalesce(current_setting('imgplane.scopes', true), ''), ','))
          -- A tenant-scoped admin key manages its own tenant's keys only, never org-wide ones.
          and (imgplane.current_tenant_id() is null or imgplane.current_tenant_id() is not distinct from p_tenant_id))
$$;
comment on function imgplane.caller_administers(uuid, uuid) is
  'True when the request''s claims may manage keys of this organization and tenant (platform admin, or an admin-scoped key of that org; a tenant-scoped key only for its tenant).';

create or replace function imgplane.create_api_key(
  p_organization_id uuid, p_tenant_id uuid, p_key_id text, p_name text, p_secret_hash text,
  p_scopes text[], p_expires_at timestamptz)
returns uuid
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_id uuid;
begin
  if not imgplane.caller_administers(p_organization_id, p_tenant_id) then
    raise exception 'not allowed to create API keys here' using errcode = '42501';
  end if;
  insert into imgplane.api_keys (organization_id, tenant_id, key_id, name, secret_hash, scopes, expires_at)
  values (p_organization_id, p_tenant_id, p_key_id, p_name, p_secret_hash, p_scopes, p_expires_at)
  returning id into v_id;
  return v_id;
end
$$;
comment on function imgplane.create_api_key(uuid, uuid, text, text, text, text[], timestamptz) is
  'Stores a new API key''s hash. SECURITY DEFINER because request roles may not write secret_hash; the caller''s admin rights are checked first.';

create or replace function imgplane.rotate_signing_key(
  p_organization_id uuid, p_tenant_id uuid, p_kid text, p_secret_ciphertext text, p_grace_seconds integer)
returns imgplane.signing_keys
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key imgplane.signing_keys;
begin
  if not imgplane.caller_administers(p_organization_id, p_tenant_id) then
    raise exception 'not allowed to rotate signing keys here' using errcode = '42501';
  end if;
  update imgplane.signing_keys
     set status = 'deprecated', deprecated_at = now(),
         grace_until = now() + make_interval(secs => greatest(p_grace_seconds, 0))
   where organization_id = p_organization_id
     and tenant_id is not distinct from p_tenant_id
     and status = 'active';
  insert into imgplane.signing_keys (organization_id, tenant_id, kid, secret_ciphertext)
  values (p_organization_id, p_tenant_id, p_kid, p_secret_ciphertext)
  returning * into v_key;
  v_key.secret_ciphertext := null; -- never hand the envelope back to a request role
  return v_key;
end
$$;
comment on function imgplane.rotate_signing_key(uuid, uuid, text, text, integer) is
  'Makes a new active signing key and deprecates the previous one (it verifies until grace_until). SECURITY DEFINER because request roles may not write secret_ciphertext.';

create or replace function imgplane.revoke_signing_key(p_kid text)
returns boolean
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_key imgplane.signing_keys;
begin
  select * into v_key from imgplane.signing_keys where kid = p_kid;
  if not found or not imgplane.caller_administers(v_key.organization_id, v_key.tenant_id) then
    return false;
  end if;
  update imgplane.signing_keys set status = 'revoked', revoked_at = now() where id = v_key.id;
  return true;
end
$$;
comment on function imgplane.revoke_signing_key(text) is
  'Revokes a signing key at once (its signatures never verify again). Answers false for unknown keys and keys the caller may not manage, so existence does not leak.';

create or replace function imgplane.signing_key_secret(p_kid text)
returns table (organization_id uuid, tenant_id uuid, status text, grace_until timestamptz, secret_ciphertext text)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  select k.organization_id, k.tenant_id, k.status, k.grace_until, k.secret_ciphertext
    from imgplane.signing_keys k
   where k.kid = p_kid
$$;
comment on function imgplane.signing_key_secret(text) is
  'The sealed secret of a signing key, for the server''s signature checks. Executable by imgplane_worker only.';

create or replace function imgplane.active_signing_key(p_organization_id uuid, p_tenant_id uuid)
returns table (kid text, tenant_id uuid, secret_ciphertext text)
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
  -- A tenant's own key wins; an organization-wide key signs for tenants without one.
  select k.kid, k.tenant_id, k.secret_ciphertext
    from imgplane.signing_keys k
   where k.organization_id = p_organization_id
     and k.status = 'active'
     and (k.tenant_id = p_tenant_id or k.tenant_id is null)
   order by k.tenant_id nulls last
   limit 1
$$;
comment on function imgplane.active_signing_key(uuid, uuid) is
  'The key that signs URLs of a tenant (its own, else the organization''s). Executable by imgplane_worker only.';

revoke all on function imgplane.signing_key_secret(text) from public;
revoke all on function imgplane.active_signing_key(uuid, uuid) from public;
grant execute on function imgplane.signing_key_secret(text) to imgplane_worker;
grant execute on function imgplane.active_signing_key(uuid, uuid) to imgplane_worker;
