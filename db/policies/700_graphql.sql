-- The GraphQL control plane shows anonymous callers nothing. imgplane_anonymous may read a few
-- columns of active organizations, tenants, spaces and public assets, because public image
-- delivery resolves them; none of that is control-plane data. These restrictive policies (AND-ed
-- with every permissive one) hide every row of every table from an anonymous request that came
-- through GraphQL, so a schema change cannot expose delivery rows to anonymous GraphQL callers.
do $$
declare
  tbl regclass;
begin
  for tbl in select c.oid::regclass from pg_catalog.pg_class c
             where c.relnamespace = 'imgplane'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition loop
    -- (a partition is read through its parent, whose policies apply)
    execute format(
      'create policy graphql_anonymous_sees_nothing on %s as restrictive for select to imgplane_anonymous
         using (not imgplane.request_via_graphql())',
      tbl);
  end loop;
end
$$;
