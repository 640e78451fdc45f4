-- What the GraphQL control plane (graphql/, PostGraphile) needs from SQL: computed columns that
-- become fields of GraphQL types, and the marker of requests that come through GraphQL. Which
-- tables, columns and functions appear in the schema is decided in graphql/smart-tags.ts.

create or replace function imgplane.spaces_effective_policy(s imgplane.spaces) returns jsonb
language sql stable parallel safe
as $$ select imgplane.effective_policy(s.id) $$;
comment on function imgplane.spaces_effective_policy(imgplane.spaces) is 'The policy in force in this space. SQL returns the stored settings merged key by key (organization, then tenant, then space; nearest scope wins; a JSON null at a nearer scope removes the key); the GraphQL field effectivePolicy completes them with the platform defaults of core/policy.ts, so every key is present.';

create or replace function imgplane.request_via_graphql() returns boolean
language sql stable parallel safe
as $$ select coalesce(current_setting('imgplane.channel', true) = 'graphql', false) $$;
comment on function imgplane.request_via_graphql() is 'True when the current request came through the GraphQL control plane (setting imgplane.channel = graphql, set by graphql/request-context.ts).';
