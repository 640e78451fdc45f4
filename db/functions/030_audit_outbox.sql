-- Audit trail and transactional outbox, written by triggers in the same transaction as the change:
-- a rolled-back change leaves neither, a committed one leaves both.

create or replace function imgplane.row_snapshot(row_data jsonb) returns jsonb
language sql immutable parallel safe
as $$ select row_snapshot.row_data - array['secret_hash', 'secret_ciphertext'] $$;
comment on function imgplane.row_snapshot(jsonb) is 'A row as JSON without its secret columns, safe to copy into audit_logs and events.';

create or replace function imgplane.is_bookkeeping_update(old_row jsonb, new_row jsonb) returns boolean
language sql immutable parallel safe
as $$
  select (is_bookkeeping_update.old_row - array['updated_at', 'last_used_at'])
       = (is_bookkeeping_update.new_row - array['updated_at', 'last_used_at'])
$$;
comment on function imgplane.is_bookkeeping_update(jsonb, jsonb) is 'True when an update changed nothing but bookkeeping columns (last_used_at refreshed by authentication, updated_at): not worth an audit row or an event.';

create or replace function imgplane.current_actor(out actor_type text, out actor_id text)
language sql stable
as $$
  select
    case
      when imgplane.current_api_key_id() is not null then 'api_key'
      when current_setting('role') = 'imgplane_worker' then 'system'
      else 'database'
    end,
    coalesce(imgplane.current_api_key_id()::text, nullif(current_setting('role'), 'none'), session_user)
$$;
comment on function imgplane.current_actor() is 'Who is changing data: the request''s API key, a background job (role imgplane_worker) or a direct database session. Reads the role setting, not current_user, because it runs inside security definer triggers.';

create or replace function imgplane.tg__audit() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  old_row constant jsonb := imgplane.row_snapshot(to_jsonb(old));
  new_row constant jsonb := imgplane.row_snapshot(to_jsonb(new));
  changed_row constant jsonb := coalesce(new_row, old_row);
  actor record;
begin
  if tg_op = 'UPDATE' and imgplane.is_bookkeeping_update(old_row, new_row) then
    return null;
  end if;
  actor := imgplane.current_actor();
  insert into imgplane.audit_logs
    (organization_id, tenant_id, actor_type, actor_id, action, resource_type, resource_id, old_row, new_row)
  values (
    (changed_row ->> 'organization_id')::uuid,
    (changed_row ->> 'tenant_id')::uuid,
    actor.actor_type,
    actor.actor_id,
    tg_argv[0] || '.' || lower(tg_op),
    tg_argv[0],
    (changed_row ->> 'id')::uuid,
    old_row,
    new_row
  );
  return null;
end
$$;
comment on function imgplane.tg__audit() is 'Trigger (argument: resource type): writes an audit_logs row for every insert, update and delete. Security definer because request roles may not write audit_logs themselves.';

create or replace function imgplane.tg__outbox() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  old_row constant jsonb := imgplane.row_snapshot(to_jsonb(old));
  new_row constant jsonb := imgplane.row_snapshot(to_jsonb(new));
  changed_row constant jsonb := coalesce(new_row, old_row);
  verb text;
begin
  if tg_op = 'UPDATE' and imgplane.is_bookkeeping_update(old_row, new_row) then
    return null;
  end if;
  verb := case
    when tg_op = 'INSERT' then 'created'
    when tg_op = 'DELETE' then 'deleted'
    -- a soft delete is a deletion for consumers (CDN purge, webhooks)
    when old_row ->> 'deleted_at' is null and new_row ->> 'deleted_at' is not null then 'deleted'
    else 'updated'
  end;
  insert into imgplane.events (organization_id, tenant_id, event_type, aggregate_type, aggregate_id, payload)
  values (
    (changed_row ->> 'organization_id')::uuid,
    (changed_row ->> 'tenant_id')::uuid,
    tg_argv[0] || '.' || verb,
    tg_argv[0],
    (changed_row ->> 'id')::uuid,
    changed_row
  );
  return null;
end
$$;
comment on function imgplane.tg__outbox() is 'Trigger (argument: resource type): writes an outbox event <resource>.<created|updated|deleted> for every change. Security definer because request roles may not write events themselves.';

create or replace trigger _100_audit after insert or update or delete on imgplane.assets
  for each row execute function imgplane.tg__audit('asset');
create or replace trigger _500_outbox after insert or update or delete on imgplane.assets
  for each row execute function imgplane.tg__outbox('asset');
create or replace trigger _100_audit after insert or update or delete on imgplane.presets
  for each row execute function imgplane.tg__audit('preset');
create or replace trigger _500_outbox after insert or update or delete on imgplane.presets
  for each row execute function imgplane.tg__outbox('preset');
create or replace trigger _100_audit after insert or update or delete on imgplane.policies
  for each row execute function imgplane.tg__audit('policy');
create or replace trigger _500_outbox after insert or update or delete on imgplane.policies
  for each row execute function imgplane.tg__outbox('policy');
create or replace trigger _100_audit after insert or update or delete on imgplane.api_keys
  for each row execute function imgplane.tg__audit('api_key');
create or replace trigger _500_outbox after insert or update or delete on imgplane.api_keys
  for each row execute function imgplane.tg__outbox('api_key');
create or replace trigger _100_audit after insert or update or delete on imgplane.signing_keys
  for each row execute function imgplane.tg__audit('signing_key');
create or replace trigger _500_outbox after insert or update or delete on imgplane.signing_keys
  for each row execute function imgplane.tg__outbox('signing_key');
