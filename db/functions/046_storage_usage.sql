-- Keeps imgplane.storage_daily current: every stored original version and rendered variant adds
-- its bytes to its space's row for today, every deletion takes them off; assets count while not
-- deleted. Written by triggers so no path (upload, render, lifecycle pruning, cascade) forgets it.

create or replace function imgplane.add_storage_usage(space_id uuid, bytes bigint, assets bigint) returns void
language sql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
  -- a space being deleted (cascade) has no row to keep: the guard skips it
  insert into imgplane.storage_daily as d (space_id, day, organization_id, tenant_id, storage_bytes, asset_count)
  select s.id, (now() at time zone 'utc')::date, s.organization_id, s.tenant_id,
         coalesce(latest.storage_bytes, 0) + add_storage_usage.bytes,
         coalesce(latest.asset_count, 0) + add_storage_usage.assets
  from imgplane.spaces s
  left join lateral (
    select l.storage_bytes, l.asset_count from imgplane.storage_daily l
    where l.space_id = s.id order by l.day desc limit 1
  ) latest on true
  where s.id = add_storage_usage.space_id
  on conflict on constraint storage_daily_pkey do update set
    storage_bytes = d.storage_bytes + add_storage_usage.bytes,
    asset_count = d.asset_count + add_storage_usage.assets
$$;
comment on function imgplane.add_storage_usage(uuid, bigint, bigint) is 'Adds bytes and assets (negative: removes) to today''s storage_daily row of a space, starting from its latest row. Security definer because it runs in triggers of request roles that may not write storage_daily.';
revoke execute on function imgplane.add_storage_usage(uuid, bigint, bigint) from public;

create or replace function imgplane.tg__storage_bytes() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
begin
  if tg_op = 'INSERT' then
    perform imgplane.add_storage_usage(new.space_id, new.size_bytes, 0);
  else
    perform imgplane.add_storage_usage(old.space_id, -old.size_bytes, 0);
  end if;
  return null;
end
$$;
comment on function imgplane.tg__storage_bytes() is 'Trigger on asset_versions and derived_assets: their bytes enter and leave storage_daily.';

create or replace function imgplane.tg_assets__storage_count() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  was_live constant boolean := tg_op <> 'INSERT' and old.deleted_at is null;
  is_live constant boolean := tg_op <> 'DELETE' and new.deleted_at is null;
begin
  if was_live <> is_live then
    perform imgplane.add_storage_usage(coalesce(new.space_id, old.space_id), 0, case when is_live then 1 else -1 end);
  end if;
  return null;
end
$$;
comment on function imgplane.tg_assets__storage_count() is 'Trigger on assets: a live (not deleted) asset counts in storage_daily.asset_count.';

create or replace trigger _300_storage_usage after insert or delete on imgplane.asset_versions
  for each row execute function imgplane.tg__storage_bytes();
create or replace trigger _300_storage_usage after insert or delete on imgplane.derived_assets
  for each row execute function imgplane.tg__storage_bytes();
create or replace trigger _300_storage_usage after insert or update of deleted_at or delete on imgplane.assets
  for each row execute function imgplane.tg_assets__storage_count();

create or replace function imgplane.organization_storage(organization_id uuid)
returns table (storage_bytes bigint, asset_count bigint)
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select coalesce(sum(latest.storage_bytes), 0)::bigint, coalesce(sum(latest.asset_count), 0)::bigint
  from (
    select distinct on (d.space_id) d.storage_bytes, d.asset_count
    from imgplane.storage_daily d
    where d.organization_id = organization_storage.organization_id
    order by d.space_id, d.day desc
  ) latest
$$;
comment on function imgplane.organization_storage(uuid) is 'Bytes and live assets an organization stores now (the storage quotas compare them with quota_storage_bytes and quota_assets). Security definer because uploads check quotas that cover tenants the uploading key may not see.';
revoke execute on function imgplane.organization_storage(uuid) from public;
grant execute on function imgplane.organization_storage(uuid) to imgplane_admin, imgplane_worker;
