-- Revocation is final. Tenants with the admin scope may update a key's status (to revoke it), and
-- a CHECK cannot compare a row with its previous version, so this trigger refuses every update
-- that would bring a revoked API or signing key back, whoever makes it.

create or replace function imgplane.tg__revocation_is_final() returns trigger
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
begin
  if old.status = 'revoked' and (new.status is distinct from 'revoked' or new.revoked_at is distinct from old.revoked_at) then
    raise exception 'a revoked key stays revoked: create a new key instead' using errcode = '23514';
  end if;
  return new;
end
$$;
comment on function imgplane.tg__revocation_is_final() is 'Trigger on api_keys and signing_keys: refuses any update that un-revokes a key or changes when it was revoked.';

create or replace trigger _050_revocation_is_final before update of status, revoked_at on imgplane.api_keys
  for each row execute function imgplane.tg__revocation_is_final();
create or replace trigger _050_revocation_is_final before update of status, revoked_at on imgplane.signing_keys
  for each row execute function imgplane.tg__revocation_is_final();
