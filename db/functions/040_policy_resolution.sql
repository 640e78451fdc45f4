-- Which settings and presets apply to a space. Nearest scope wins: space over tenant over
-- organization. The scope depth of a policies/presets row is how many of tenant_id, space_id are set.

create or replace function imgplane.effective_policy(space_id uuid) returns jsonb
language sql stable
as $$
  select coalesce(
    jsonb_object_agg(nearest.key, nearest.value) filter (where nearest.value <> 'null'::jsonb),
    '{}'::jsonb
  )
  from (
    select distinct on (p.key) p.key, p.value
    from imgplane.spaces s
    join imgplane.policies p
      on p.organization_id = s.organization_id
     and (p.tenant_id is null or p.tenant_id = s.tenant_id)
     and (p.space_id is null or p.space_id = s.id)
    where s.id = effective_policy.space_id
    order by p.key, (p.tenant_id is not null)::int + (p.space_id is not null)::int desc
  ) nearest
$$;
comment on function imgplane.effective_policy(uuid) is 'The policy of a space: organization, tenant and space settings merged key by key, nearest scope wins (the same as org || tenant || space on JSON objects). A JSON null at a nearer scope removes the key, so the platform default applies. Security invoker: callers see only spaces their role may read ({} otherwise).';

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
