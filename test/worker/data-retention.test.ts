/**
 * Retention by age (worker/tasks/data-retention.ts): rows past their retention go, recent ones
 * and those retention must not touch stay; soft-deleted assets past their grace period go with
 * their stored objects, except objects another live asset shares. A database of this file's
 * own: a retention run acts on every row of its database, other files' included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssetView } from '../../platform/assets/asset-service.ts';
import { DEFAULT_RETENTION, runDataRetention, type RetentionSettings } from '../../worker/tasks/data-retention.ts';
import { createIsolatedDatabase, type IsolatedDatabase } from '../db/database.ts';
import { flatPicture, imageUrl, uploadAsset } from '../http/delivery-fixtures.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, type TestOrganization, type TestTenant } from '../support/tenancy.ts';

let database: IsolatedDatabase;
let server: TestApp;
let org: TestOrganization;

// Batches of 2: every kind below has more old rows than that, so the run must loop.
const SETTINGS: RetentionSettings = { ...DEFAULT_RETENTION, batchSize: 2 };

beforeAll(async () => {
  database = await createIsolatedDatabase();
  server = await startTestApp({ config: { databaseUrl: database.url } });
  org = await createOrganization(server.platform, 'retention');
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

async function ids(sql: string, params: unknown[] = []): Promise<string[]> {
  const { rows } = await server.db.query<{ id: string }>(sql, params);
  return rows.map((row) => String(row.id)).sort();
}

/** Inserts one row per `ages` entry (days ago) with `sql` taking the age as $1; their ids. */
async function rowsAged(sql: string, ages: readonly number[]): Promise<string[]> {
  const made: string[] = [];
  for (const age of ages) made.push(...(await ids(sql, [age])));
  return made;
}

describe('data retention', () => {
  it('deletes delivered events, audit rows, daily usage and failed jobs past their retention, and keeps the rest', async () => {
    const space = org.tenants[0];
    const event = (delivered: 'delivered' | 'pending' | 'dead') => `
      insert into imgplane.events (organization_id, tenant_id, event_type, aggregate_type, created_at, available_at, delivered_at, dead_at)
      values ('${org.id}', '${space.id}', 'asset.updated', 'asset', now() - make_interval(days => $1::int), now() + interval '1 day',
              ${delivered === 'delivered' ? 'now() - make_interval(days => $1::int)' : 'null'},
              ${delivered === 'dead' ? 'now() - make_interval(days => $1::int)' : 'null'})
      returning id`;
    const oldDelivered = await rowsAged(event('delivered'), [31, 60, 90]);
    const recentDelivered = await rowsAged(event('delivered'), [1, 29]);
    const oldUndelivered = await rowsAged(event('pending'), [90]);
    const oldDead = await rowsAged(event('dead'), [90]);

    const audit = `insert into imgplane.audit_logs (organization_id, actor_type, action, resource_type, created_at)
                   values ('${org.id}', 'system', 'asset.update', 'asset', now() - make_interval(days => $1::int)) returning id`;
    const oldAudit = await rowsAged(audit, [366, 400, 800]);
    const recentAudit = await rowsAged(audit, [1, 364]);

    const usage = `insert into imgplane.usage_metrics (day, organization_id, tenant_id, space_id, request_count)
                   values (current_date - $1::int, '${org.id}', '${space.id}', '${space.spaceId}', 1) returning day::text as id`;
    const oldUsage = await rowsAged(usage, [401, 500, 900]);
    const recentUsage = await rowsAged(usage, [1, 399]);
    await server.db.query(
      `insert into imgplane.usage_monthly (space_id, month, organization_id, tenant_id, request_count)
       values ($1, date_trunc('month', current_date - 900)::date, $2, $3, 1)`,
      [space.spaceId, org.id, space.id],
    );

    // an identifier no worker has a task for, so the running worker never takes these jobs
    const job = (attempts: number) => `
      with added as (select id from graphile_worker.add_job('retention_test_task', max_attempts => 1))
      update graphile_worker._private_jobs j set attempts = ${attempts}, last_error = 'boom',
             updated_at = now() - make_interval(days => $1::int)
        from added where j.id = added.id returning j.id`;
    const oldFailed = await rowsAged(job(1), [31, 45, 60]);
    const recentFailed = await rowsAged(job(1), [1]);
    const oldWaiting = await rowsAged(job(0), [60]);

    const outcome = await runDataRetention(server.platform, SETTINGS);

    expect(outcome.events).toBe(oldDelivered.length);
    expect(outcome.auditLogs).toBeGreaterThanOrEqual(oldAudit.length);
    expect(outcome.usageRows).toBe(oldUsage.length);
    expect(outcome.failedJobs).toBe(oldFailed.length);
    const mine = [...oldDelivered, ...recentDelivered, ...oldUndelivered, ...oldDead];
    expect(await ids('select id from imgplane.events where id = any($1::bigint[])', [mine])).toEqual(
      [...recentDelivered, ...oldUndelivered, ...oldDead].sort(),
    );
    expect(await ids('select id from imgplane.audit_logs where id = any($1::bigint[])', [[...oldAudit, ...recentAudit]])).toEqual(
      [...recentAudit].sort(),
    );
    expect(await ids('select day::text as id from imgplane.usage_metrics where space_id = $1 and day < current_date', [space.spaceId])).toEqual(
      [...recentUsage].sort(),
    );
    // the monthly rollup is the billing record: retention never deletes it
    expect(await ids(`select month::text as id from imgplane.usage_monthly where space_id = $1 and month < current_date - 800`, [space.spaceId])).toHaveLength(1);
    expect(await ids('select id from graphile_worker.jobs where id = any($1::bigint[])', [[...oldFailed, ...recentFailed, ...oldWaiting]])).toEqual(
      [...recentFailed, ...oldWaiting].sort(),
    );
  });

  it('purges soft-deleted assets after the grace period with their objects, keeping objects a live asset shares', async () => {
    const [first, second] = org.tenants;
    const render = async (tenant: TestTenant, asset: AssetView) => {
      const response = await fetch(imageUrl({ baseUrl: server.baseUrl, org, tenant, asset }, 'w_40.png'));
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    };
    const shared = await flatPicture(90, 60, '#336699');
    const expired = await uploadAsset(server.baseUrl, first, shared); // same bytes as `live`
    const live = await uploadAsset(server.baseUrl, second, shared);
    const alone = await uploadAsset(server.baseUrl, first, await flatPicture(90, 60, '#993366'));
    const inGrace = await uploadAsset(server.baseUrl, first, await flatPicture(90, 60, '#669933'));
    for (const [tenant, asset] of [[first, expired], [second, live], [first, alone], [first, inGrace]] as const) await render(tenant, asset);
    await server.platform.variants.settled();

    const objects = async (assetId: string) => {
      const { rows } = await server.db.query<{ key: string }>(
        `select storage_key as key from imgplane.asset_versions where asset_id = $1
         union all select storage_key from imgplane.derived_assets where asset_id = $1`,
        [assetId],
      );
      return rows.map((row) => row.key);
    };
    const [expiredObjects, aloneObjects, inGraceObjects] = [await objects(expired.id), await objects(alone.id), await objects(inGrace.id)];
    expect(aloneObjects).toHaveLength(2); // the original and the w_40 variant
    const deletedAgo = (assetId: string, days: number) =>
      server.db.query(`update imgplane.assets set deleted_at = now() - make_interval(days => $2::int) where id = $1`, [assetId, days]);
    await deletedAgo(expired.id, SETTINGS.deletedAssetsGraceDays + 1);
    await deletedAgo(alone.id, SETTINGS.deletedAssetsGraceDays + 10);
    await deletedAgo(inGrace.id, SETTINGS.deletedAssetsGraceDays - 1);

    const outcome = await runDataRetention(server.platform, SETTINGS);

    expect(outcome.objectFailures).toBe(0);
    expect(outcome.assetVersions).toBe(2);
    expect(await ids('select id from imgplane.assets where id = any($1::uuid[])', [[expired.id, live.id, alone.id, inGrace.id]])).toEqual(
      [live.id, inGrace.id].sort(),
    );
    const exists = (keys: readonly string[]) => Promise.all(keys.map((key) => server.platform.storage.exists(key)));
    expect(await exists(aloneObjects)).toEqual([false, false]);
    // shared with `live` (same bytes, same organisation): its original and variant stay
    expect(await exists(expiredObjects)).toEqual(expiredObjects.map(() => true));
    expect(await exists(inGraceObjects)).toEqual(inGraceObjects.map(() => true));
  });
});
