-- The webhook delivery trigger (imgplane.tg_webhook_deliveries__enqueue, db/functions/850) is
-- SECURITY DEFINER and, like every function of the schema, owned by imgplane_owner
-- (990_role_boundary.sql). It adds graphile-worker jobs, so imgplane_owner needs exactly what
-- graphile_worker.add_job() touches (it is not security definer itself): the three private tables
-- it reads and writes, their sequences, and a policy on each (graphile-worker enables row-level
-- security on them so that only their owner gets in). The request roles still get nothing there.
-- The job queue is installed before this file is applied (db/apply.ts); without it, nothing to grant.
do $$
declare
  obj record;
begin
  if to_regnamespace('graphile_worker') is null then
    return;
  end if;
  grant usage on schema graphile_worker to imgplane_owner;
  grant execute on function graphile_worker.add_job(text, json, text, timestamptz, integer, text, integer, text[], text) to imgplane_owner;
  grant execute on function graphile_worker.add_jobs(graphile_worker.job_spec[], boolean) to imgplane_owner;
  grant select, insert, update on graphile_worker._private_jobs, graphile_worker._private_tasks, graphile_worker._private_job_queues to imgplane_owner;
  grant usage on all sequences in schema graphile_worker to imgplane_owner;
  for obj in select unnest(array['_private_jobs', '_private_tasks', '_private_job_queues']) as name loop
    execute format('drop policy if exists imgplane_owner_enqueue on graphile_worker.%I', obj.name);
    execute format('create policy imgplane_owner_enqueue on graphile_worker.%I to imgplane_owner using (true) with check (true)', obj.name);
  end loop;
end
$$;
