-- Suspension of an organization, tenant or space. A status is changed only by an admin of a scope
-- above the row (platform operator for organizations; organization admin or operator for tenants;
-- tenant admin and above for spaces), and a suspension is lifted only from the scope that set it
-- or above. Rows of a suspended scope take no writes (db/policies/055_suspension.sql) and deliver
-- nothing (delivery_context, authenticate_api_key).

create or replace function imgplane.request_scope_level() returns integer
language sql stable parallel safe
as $$
  select case
    when current_user <> 'imgplane_tenant' then 3 -- platform operator (imgplane_admin) or the owner
    when imgplane.current_tenant_id() is null and imgplane.has_scope('admin') then 2
    when imgplane.has_scope('admin') then 1
    else 0
  end
$$;
comment on function imgplane.request_scope_level() is 'How high the caller stands: 3 platform operator (or owner), 2 organization admin, 1 tenant admin, 0 any other key.';

create or replace function imgplane.scope_level_name(level integer) returns text
language sql immutable parallel safe
as $$ select (array['tenant', 'organization', 'platform'])[scope_level_name.level] $$;
comment on function imgplane.scope_level_name(integer) is 'tenant, organization or platform for levels 1 to 3 (see request_scope_level).';
grant execute on function imgplane.request_scope_level(), imgplane.scope_level_name(integer)
  to imgplane_admin, imgplane_tenant, imgplane_worker, imgplane_analyst, imgplane_anonymous;

create or replace function imgplane.tg__status_change() returns trigger
language plpgsql volatile
as $$
declare
  row_level constant integer := tg_argv[0]::integer; -- 2 organization, 1 tenant, 0 space
  noun constant text := tg_argv[1];
  caller constant integer := imgplane.request_scope_level();
begin
  if tg_op = 'UPDATE' and new.status is not distinct from old.status then
    new.suspended_by := old.suspended_by;
    return new;
  end if;
  if tg_op = 'INSERT' and new.status = 'active' then
    new.suspended_by := null;
    return new;
  end if;
  if caller <= row_level then
    raise exception 'the status of a % can be changed only by an admin of the scope above it', noun
      using errcode = '42501';
  end if;
  if tg_op = 'UPDATE' and old.status = 'suspended'
     and caller < array_position(array['tenant', 'organization', 'platform'], coalesce(old.suspended_by, 'platform')) then
    raise exception 'this % was suspended by its %: only an admin there or above may change its status', noun, coalesce(old.suspended_by, 'platform')
      using errcode = '42501';
  end if;
  new.suspended_by := case when new.status = 'suspended' then imgplane.scope_level_name(caller) end;
  return new;
end
$$;
comment on function imgplane.tg__status_change() is 'Trigger (arguments: level of the row, noun): a status changes only by an admin above the row, and a suspension lifts only from the scope that set it or above; records suspended_by.';

create or replace trigger _020_status_change before insert or update on imgplane.organizations
  for each row execute function imgplane.tg__status_change('2', 'organization');
create or replace trigger _020_status_change before insert or update on imgplane.tenants
  for each row execute function imgplane.tg__status_change('1', 'tenant');
create or replace trigger _020_status_change before insert or update on imgplane.spaces
  for each row execute function imgplane.tg__status_change('0', 'space');

create or replace function imgplane.scope_is_active(organization_id uuid, tenant_id uuid, space_id uuid) returns boolean
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select not exists (select from imgplane.organizations o where o.id = scope_is_active.organization_id and o.status <> 'active')
     and not exists (select from imgplane.tenants t where t.id = scope_is_active.tenant_id and t.status <> 'active')
     and not exists (select from imgplane.spaces s where s.id = scope_is_active.space_id and s.status <> 'active')
$$;
comment on function imgplane.scope_is_active(uuid, uuid, uuid) is 'False when the organization, tenant or space (each may be null) is suspended. Security definer so that the check sees statuses the caller''s row-level security hides (a tenant key cannot read the organization''s status columns otherwise); it reveals one boolean about the caller''s own rows.';
revoke execute on function imgplane.scope_is_active(uuid, uuid, uuid) from public;
grant execute on function imgplane.scope_is_active(uuid, uuid, uuid) to imgplane_admin, imgplane_tenant, imgplane_worker;

-- status changes reach every process's caches (space contexts, authentications) through the outbox
create or replace function imgplane.tg__status_outbox() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if new.status is distinct from old.status then
    insert into imgplane.events (organization_id, tenant_id, event_type, aggregate_type, aggregate_id, payload)
    values (
      coalesce((to_jsonb(new) ->> 'organization_id')::uuid, new.id),
      case tg_argv[0] when 'tenant' then new.id when 'space' then (to_jsonb(new) ->> 'tenant_id')::uuid end,
      tg_argv[0] || case new.status when 'suspended' then '.suspended' else '.reactivated' end,
      tg_argv[0],
      new.id,
      jsonb_build_object('id', new.id, 'status', new.status, 'suspended_by', new.suspended_by)
    );
  end if;
  return null;
end
$$;
comment on function imgplane.tg__status_outbox() is 'Trigger (argument: organization, tenant or space): an outbox event <type>.suspended or <type>.reactivated when the status changes. Security definer because request roles may not write events themselves.';

create or replace trigger _500_status_outbox after update of status on imgplane.organizations
  for each row execute function imgplane.tg__status_outbox('organization');
create or replace trigger _500_status_outbox after update of status on imgplane.tenants
  for each row execute function imgplane.tg__status_outbox('tenant');
create or replace trigger _500_status_outbox after update of status on imgplane.spaces
  for each row execute function imgplane.tg__status_outbox('space');
