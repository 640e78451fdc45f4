create or replace function imgplane.tg__set_updated_at() returns trigger
language plpgsql volatile
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function imgplane.tg__set_updated_at() is 'Trigger: keeps updated_at honest without trusting every writer to set it.';

create or replace trigger _050_set_updated_at before update on imgplane.organizations
  for each row execute function imgplane.tg__set_updated_at();
create or replace trigger _050_set_updated_at before update on imgplane.tenants
  for each row execute function imgplane.tg__set_updated_at();
create or replace trigger _050_set_updated_at before update on imgplane.spaces
  for each row execute function imgplane.tg__set_updated_at();
create or replace trigger _050_set_updated_at before update on imgplane.policies
  for each row execute function imgplane.tg__set_updated_at();
create or replace trigger _050_set_updated_at before update on imgplane.assets
  for each row execute function imgplane.tg__set_updated_at();
create or replace trigger _050_set_updated_at before update on imgplane.presets
  for each row execute function imgplane.tg__set_updated_at();
create or replace trigger _050_set_updated_at before update on imgplane.derived_assets
  for each row execute function imgplane.tg__set_updated_at();
