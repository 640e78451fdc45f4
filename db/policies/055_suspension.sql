-- A suspended organization, tenant or space takes no writes from request roles: no uploads, no
-- asset, preset or policy changes in it (RESTRICTIVE, ANDed with the permissive policies of the
-- files above). Status changes themselves go through tg__status_change (db/functions).
do $$
declare
  target record;
  command text;
begin
  for target in
    select * from (values
      ('assets', 'organization_id, tenant_id, space_id'),
      ('asset_versions', 'organization_id, tenant_id, space_id'),
      ('presets', 'organization_id, tenant_id, space_id'),
      ('policies', 'organization_id, tenant_id, space_id')
    ) as t (table_name, columns)
  loop
    foreach command in array array['insert', 'update', 'delete'] loop
      execute format(
        'create policy %I on imgplane.%I as restrictive for %s to imgplane_tenant %s',
        'tenant_' || command || '_needs_active_scope',
        target.table_name,
        command,
        case command
          when 'insert' then format('with check (imgplane.scope_is_active(%s))', target.columns)
          when 'update' then format('using (imgplane.scope_is_active(%s)) with check (imgplane.scope_is_active(%s))', target.columns, target.columns)
          else format('using (imgplane.scope_is_active(%s))', target.columns)
        end);
    end loop;
  end loop;
end
$$;
