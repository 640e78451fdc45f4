-- Functions are not executable by PUBLIC (the baseline revoked that): each role gets what it uses.

-- read by the row-level security policies of every request role
grant execute on function
  imgplane.current_org_id(),
  imgplane.current_tenant_id(),
  imgplane.current_api_key_id(),
  imgplane.has_scope(text),
  imgplane.request_reaches(uuid, uuid),
  imgplane.request_may_read(uuid, uuid),
  imgplane.request_may_change(uuid, uuid),
  imgplane.analyst_reaches(uuid)
  to imgplane_admin, imgplane_tenant, imgplane_worker, imgplane_analyst, imgplane_anonymous;

grant execute on function
  imgplane.effective_policy(uuid),
  imgplane.space_presets(uuid),
  imgplane.resolve_preset(uuid, text),
  imgplane.register_variant(uuid, integer, text, text, text, text, text, bigint, text, integer, integer, integer)
  to imgplane_admin, imgplane_tenant, imgplane_worker;

grant execute on function imgplane.delivery_context(text, text, text)
  to imgplane_admin, imgplane_tenant, imgplane_worker, imgplane_anonymous;

-- called before a request has a role: the server authenticates as imgplane_anonymous
grant execute on function imgplane.authenticate_api_key(text) to imgplane_admin, imgplane_anonymous;

grant execute on function imgplane.record_usage(jsonb) to imgplane_admin, imgplane_worker;
