-- What a key's scopes allow, on top of where it reaches. The permissive policies of the files above
-- say which rows a request's organisation and tenant reach; these RESTRICTIVE policies (ANDed with
-- them) add what the key must hold to change those rows, so the rule holds for every path into the
-- database (REST routes, GraphQL, plain SQL) and not only where the server remembers to check:
--   control-plane structure (organizations, tenants, spaces, policies, presets): `admin`;
--   originals and their metadata (assets, asset_versions): `image:write`, whatever else the key
--   holds (an `admin`-only key changed asset tags through GraphQL while HTTP refused it: the same
--   key must get the same answer on every path).
-- Reads need no extra scope: every key may read what its organisation and tenant reach.
do $$
declare
  rule record;
  command text;
begin
  for rule in
    select * from (values
      ('organizations', 'admin'), ('tenants', 'admin'), ('spaces', 'admin'), ('policies', 'admin'),
      ('presets', 'admin'), ('assets', 'image:write'), ('asset_versions', 'image:write')
    ) as scope_rules (table_name, scope)
  loop
    foreach command in array array['insert', 'update', 'delete'] loop
      execute format(
        'create policy %I on imgplane.%I as restrictive for %s to imgplane_tenant %s',
        'tenant_' || command || '_needs_' || replace(rule.scope, ':', '_'),
        rule.table_name,
        command,
        case command
          when 'insert' then format('with check (imgplane.has_scope(%L))', rule.scope)
          when 'update' then format('using (imgplane.has_scope(%L)) with check (imgplane.has_scope(%L))', rule.scope, rule.scope)
          else format('using (imgplane.has_scope(%L))', rule.scope)
        end);
    end loop;
  end loop;
end
$$;
