-- A preset names the narrowest scope it belongs to; the wider ones follow from it. createPreset
-- with only spaceId (or tenantId) must work, and the composite foreign keys still reject a
-- tenant or organisation that contradicts the space. Runs as the caller (no security definer):
-- a space the caller cannot see derives nothing, and RLS then refuses the row as before.
create or replace function imgplane.tg_presets__derive_scope() returns trigger
language plpgsql volatile
as $$
declare
  owner record;
begin
  if new.space_id is not null and (new.tenant_id is null or new.organization_id is null) then
    select s.tenant_id, s.organization_id into owner from imgplane.spaces s where s.id = new.space_id;
    if found then
      new.tenant_id := coalesce(new.tenant_id, owner.tenant_id);
      new.organization_id := coalesce(new.organization_id, owner.organization_id);
    end if;
  end if;
  if new.tenant_id is not null and new.organization_id is null then
    select t.organization_id into owner from imgplane.tenants t where t.id = new.tenant_id;
    if found then
      new.organization_id := owner.organization_id;
    end if;
  end if;
  -- An organisation-level preset made with an organisation's key belongs to that organisation.
  new.organization_id := coalesce(new.organization_id, imgplane.current_org_id());
  return new;
end
$$;
comment on function imgplane.tg_presets__derive_scope() is 'Trigger: fills a preset''s tenant_id and organization_id from its space (or tenant), and organization_id from the caller''s organisation, so the narrowest scope is enough to create one.';

create or replace trigger _010_derive_scope before insert or update of organization_id, tenant_id, space_id on imgplane.presets
  for each row execute function imgplane.tg_presets__derive_scope();

-- The matching columns do nothing on their own: say so where GraphQL users read it.
comment on column imgplane.presets.match_tags is 'Pregeneration filter, used only when auto_generate is true: assets carrying any of these tags (empty: any asset).';
comment on column imgplane.presets.match_folders is 'Pregeneration filter, used only when auto_generate is true: assets under any of these folders (empty: any folder).';
comment on column imgplane.presets.organization_id is 'Owning organisation; derived from space_id or tenant_id (or the caller''s organisation) when not given.';
comment on column imgplane.presets.tenant_id is 'Tenant scope (null: organisation-wide); derived from space_id when not given.';
