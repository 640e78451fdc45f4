-- Which settings and presets apply to a space. The scope depth of a policies/presets row is how
-- many of tenant_id, space_id are set. Policy keys come in two kinds (imgplane.policy_keys, synced
-- from core/policy.ts): preferences, where the nearest scope wins, and limits, where a scope may
-- only tighten what the scope above it has in force (smaller is tighter; JSON false < true).

create or replace function imgplane.platform_policy()
returns table (key text, kind text, organization_only boolean, default_value jsonb, maximum jsonb)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select k.key, k.kind, k.organization_only,
         coalesce(k.platform_default, k.builtin_default),
         coalesce(k.platform_maximum, k.builtin_maximum)
  from imgplane.policy_keys k
$$;
comment on function imgplane.platform_policy() is 'Every policy key with its kind and the platform-wide default and maximum in force (operator override, else built-in). Security definer because policy_keys is the operator''s table, yet every request role resolves policies against it; it reveals only the platform-wide defaults and ceilings, which are not secret.';
revoke execute on function imgplane.platform_policy() from public;
grant execute on function imgplane.platform_policy() to imgplane_admin, imgplane_tenant, imgplane_worker, imgplane_analyst, imgplane_anonymous;

create or replace function imgplane.policy_in_force(organization_id uuid, tenant_id uuid, space_id uuid) returns jsonb
language sql stable
as $$
  select coalesce(jsonb_object_agg(k.key,
    case k.kind
      when 'preference' then
        -- a JSON null at the nearest scope masks wider settings: the platform default applies
        coalesce(nullif(coalesce(v.at_space, v.at_tenant, v.at_organization), 'null'::jsonb), k.default_value)
      else
        -- least() ignores SQL nulls: scopes that set nothing (or JSON null) do not take part
        least(k.maximum, coalesce(nullif(v.at_organization, 'null'::jsonb), k.default_value),
              nullif(v.at_tenant, 'null'::jsonb), nullif(v.at_space, 'null'::jsonb))
    end), '{}'::jsonb)
  from imgplane.platform_policy() k
  cross join lateral (
    select (array_agg(p.value) filter (where p.tenant_id is null))[1] as at_organization,
           (array_agg(p.value) filter (where p.tenant_id is not null and p.space_id is null))[1] as at_tenant,
           (array_agg(p.value) filter (where p.space_id is not null))[1] as at_space
    from imgplane.policies p
    where p.organization_id = policy_in_force.organization_id
      and p.key = k.key
      and (p.tenant_id is null or p.tenant_id = policy_in_force.tenant_id)
      and (p.space_id is null or p.space_id = policy_in_force.space_id)
  ) v
$$;
comment on function imgplane.policy_in_force(uuid, uuid, uuid) is 'The complete policy in force at a scope: an organization (tenant_id and space_id null), a tenant (space_id null) or a space. Preferences: nearest scope wins, JSON null masks wider settings. Limits: the least of the platform maximum, the organization value (platform default when unset) and any tenant and space value. Security invoker: settings the caller may not read do not take part.';

create or replace function imgplane.effective_policy(space_id uuid) returns jsonb
language sql stable
as $$
  select coalesce(
    (select imgplane.policy_in_force(s.organization_id, s.tenant_id, s.id) from imgplane.spaces s where s.id = effective_policy.space_id),
    '{}'::jsonb)
$$;
comment on function imgplane.effective_policy(uuid) is 'The complete policy of a space (every key, platform defaults included; see policy_in_force). Security invoker: callers see only spaces their role may read ({} otherwise).';
grant execute on function imgplane.policy_in_force(uuid, uuid, uuid), imgplane.effective_policy(uuid)
  to imgplane_admin, imgplane_tenant, imgplane_worker, imgplane_analyst, imgplane_anonymous;

create or replace function imgplane.tg_policies__within_ceiling() returns trigger
language plpgsql stable
as $$
declare
  spec record;
  ceiling jsonb;
begin
  select * into spec from imgplane.platform_policy() k where k.key = new.key;
  if spec is null or spec.kind <> 'limit' or new.value = 'null'::jsonb then
    return new;
  end if;
  if spec.organization_only and new.tenant_id is not null then
    raise exception 'policy "%" is counted per organization: it can be set at organization scope only', new.key
      using errcode = '22023', detail = jsonb_build_object('key', new.key, 'scope', 'organization')::text;
  end if;
  ceiling := case
    when new.tenant_id is null then spec.maximum
    when new.space_id is null then imgplane.policy_in_force(new.organization_id, null, null) -> new.key
    else imgplane.policy_in_force(new.organization_id, new.tenant_id, null) -> new.key
  end;
  if new.value > ceiling then
    raise exception 'policy "%" may be at most % here: that is the ceiling set above this scope', new.key, ceiling
      using errcode = '22023', detail = jsonb_build_object('key', new.key, 'value', new.value, 'ceiling', ceiling)::text;
  end if;
  return new;
end
$$;
comment on function imgplane.tg_policies__within_ceiling() is 'Trigger: refuses a limit above its ceiling (the platform maximum for an organization setting, else the value in force at the scope above) and an organization-only limit below organization scope. Errcode 22023 with the key and ceiling as JSON detail; the server turns it into a 400.';
create or replace trigger _010_within_ceiling before insert or update on imgplane.policies
  for each row execute function imgplane.tg_policies__within_ceiling();

create or replace function imgplane.space_presets(space_id uuid) returns setof imgplane.presets
language sql stable
as $$
  select distinct on (p.name) p.*
  from imgplane.spaces s
  join imgplane.presets p
    on p.organization_id = s.organization_id
   and (p.tenant_id is null or p.tenant_id = s.tenant_id)
   and (p.space_id is null or p.space_id = s.id)
  where s.id = space_presets.space_id
  order by p.name, (p.tenant_id is not null)::int + (p.space_id is not null)::int desc
$$;
comment on function imgplane.space_presets(uuid) is 'The presets usable in a space, one per name, nearest scope winning. Security invoker.';

create or replace function imgplane.resolve_preset(space_id uuid, name text) returns jsonb
language sql stable
as $$
  select p.operations from imgplane.space_presets(resolve_preset.space_id) p where p.name = resolve_preset.name
$$;
comment on function imgplane.resolve_preset(uuid, text) is 'Operations of the preset named name as seen from a space (nearest scope wins), null when there is none. Security invoker.';

create or replace function imgplane.delivery_context(org_slug text, tenant_slug text, space_slug text)
returns table (organization_id uuid, tenant_id uuid, space_id uuid, policy jsonb, presets jsonb)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select
    s.organization_id,
    s.tenant_id,
    s.id,
    imgplane.effective_policy(s.id),
    (select coalesce(jsonb_object_agg(p.name, p.operations), '{}'::jsonb) from imgplane.space_presets(s.id) p)
  from imgplane.organizations o
  join imgplane.tenants t on t.organization_id = o.id
  join imgplane.spaces s on s.tenant_id = t.id
  where o.slug = delivery_context.org_slug
    and t.slug = delivery_context.tenant_slug
    and s.slug = delivery_context.space_slug
    and o.status = 'active'
    and t.status = 'active'
    and s.status = 'active'
$$;
comment on function imgplane.delivery_context(text, text, text) is 'Ids, effective policy and presets (name -> operations, nearest scope winning) of the active space addressed by org/tenant/space slugs; no row otherwise. Security definer on purpose: public image URLs are anonymous by design yet must apply the space''s limits and presets, which anonymous callers may not read. It reveals only ids and delivery configuration of an active, slug-addressable space.';

create or replace trigger _050_set_updated_at before update on imgplane.policy_keys
  for each row execute function imgplane.tg__set_updated_at();
