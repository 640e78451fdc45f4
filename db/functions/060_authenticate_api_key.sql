-- The result gained expires_at (callers cache claims no longer than the key lives): a changed
-- result type cannot be replaced in place.
drop function if exists imgplane.authenticate_api_key(text);
create function imgplane.authenticate_api_key(secret text)
returns table (api_key_id uuid, organization_id uuid, tenant_id uuid, scopes text[], role text, expires_at timestamptz)
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  api_key imgplane.api_keys;
begin
  select k.* into api_key
  from imgplane.api_keys k
  where k.key_id = substring(authenticate_api_key.secret from '^imgp_live_([A-Za-z0-9]+)_.+$');

  -- Comparing hashes, not secrets: a timing difference reveals nothing usable about the secret.
  if not found
     or api_key.status <> 'active'
     or (api_key.expires_at is not null and api_key.expires_at <= now())
     or api_key.secret_hash <> encode(sha256(convert_to(authenticate_api_key.secret, 'UTF8')), 'hex')
     or exists (select from imgplane.organizations o where o.id = api_key.organization_id and o.status <> 'active')
     or exists (select from imgplane.tenants t where t.id = api_key.tenant_id and t.status <> 'active')
  then
    return;
  end if;

  -- Refresh at most once a minute: authentication is on every request, a row update is not free.
  if api_key.last_used_at is null or api_key.last_used_at < now() - interval '60 seconds' then
    update imgplane.api_keys k set last_used_at = now() where k.id = api_key.id;
  end if;

  return query select
    api_key.id,
    api_key.organization_id,
    api_key.tenant_id,
    api_key.scopes,
    case when api_key.organization_id is null then 'imgplane_admin' else 'imgplane_tenant' end,
    api_key.expires_at;
end
$$;
comment on function imgplane.authenticate_api_key(text) is 'Claims of the API key whose secret (imgp_live_<key_id>_<random>) this is: one row (api_key_id, organization_id, tenant_id, scopes, role, expires_at) when the key is active, unexpired and its organization and tenant are active; no row otherwise. role is imgplane_admin for platform keys (no organization), else imgplane_tenant. Security definer because it runs before any request role exists and must read hashes no request role may read.';

