create or replace function imgplane.register_variant(
  asset_id uuid,
  version integer,
  variant_key text,
  operations_canonical text,
  output_format text,
  storage_provider text,
  storage_key text,
  size_bytes bigint,
  content_hash text,
  width integer,
  height integer,
  processing_time_ms integer
) returns imgplane.derived_assets
language plpgsql volatile
as $$
#variable_conflict use_column
declare
  registered imgplane.derived_assets;
begin
  -- Insert-or-nothing, then read back: when a concurrent caller wins the race, the insert waits for
  -- its commit and skips, and the next statement (a fresh snapshot under read committed) sees its row.
  insert into imgplane.derived_assets (
    asset_id, version, organization_id, tenant_id, space_id, variant_key, operations_canonical,
    output_format, storage_provider, storage_key, size_bytes, content_hash, width, height, processing_time_ms
  )
  select
    a.id, register_variant.version, a.organization_id, a.tenant_id, a.space_id, register_variant.variant_key,
    register_variant.operations_canonical, register_variant.output_format, register_variant.storage_provider,
    register_variant.storage_key, register_variant.size_bytes, register_variant.content_hash,
    register_variant.width, register_variant.height, register_variant.processing_time_ms
  from imgplane.assets a
  where a.id = register_variant.asset_id
  on conflict (asset_id, variant_key) do nothing
  returning * into registered;

  if not found then
    select * into registered
    from imgplane.derived_assets d
    where d.asset_id = register_variant.asset_id and d.variant_key = register_variant.variant_key;
  end if;
  if not found then
    raise exception using errcode = 'no_data_found', message = format('asset %s not found', register_variant.asset_id);
  end if;
  return registered;
end
$$;
comment on function imgplane.register_variant(uuid, integer, text, text, text, text, text, bigint, text, integer, integer, integer) is 'Records a generated variant of an asset version and returns its derived_assets row; when the variant is already registered (also by a concurrent call) returns the existing row unchanged. Organization, tenant and space are copied from the asset. Security invoker: the caller must be able to read the asset. Raises no_data_found (P0002) when it cannot.';
