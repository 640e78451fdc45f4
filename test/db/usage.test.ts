/** record_usage() and the usage views data teams read. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageRecorder } from '../../platform/usage.ts';
import { asAnalyst, createAnalystLogin, dropAnalystLogins, type AnalystLogin } from './analyst-logins.ts';
import { ALL_SCOPES, attempt, INSUFFICIENT_PRIVILEGE, type RequestSettings } from './database.ts';
import { type OrganizationFixture, useSeededDatabase } from './seed.ts';

const db = useSeededDatabase();
const logins: AnalystLogin[] = [];
afterAll(() => dropAnalystLogins(db.pool, logins));

function usage(fixture: OrganizationFixture, index: 0 | 1, day: string, counters: Record<string, number>) {
  const tenant = fixture.tenants[index];
  return { day, organization_id: fixture.id, tenant_id: tenant.id, space_id: tenant.spaceId, ...counters };
}

async function analystOf(fixture: OrganizationFixture): Promise<AnalystLogin> {
  const login = await createAnalystLogin(db.pool, fixture.id);
  logins.push(login);
  return login;
}

describe('record_usage', () => {
  it('adds a batch to the counters, summing entries for the same day and space', async () => {
    const batch = [
      usage(db.org, 0, '2024-03-01', { request_count: 2, bandwidth_bytes: 100 }),
      usage(db.org, 0, '2024-03-01', { request_count: 3, cache_hit_count: 1 }),
      usage(db.org, 1, '2024-03-01', { upload_count: 1, upload_bytes: 50 }),
    ];
    const { rows } = await db.pool.query('select imgplane.record_usage($1) as touched', [JSON.stringify(batch)]);
    expect(rows[0]).toEqual({ touched: 2 });
    await db.pool.query('select imgplane.record_usage($1)', [JSON.stringify([usage(db.org, 0, '2024-03-01', { request_count: 10 })])]);
    const counters = await db.pool.query(
      `select request_count, bandwidth_bytes, cache_hit_count, upload_count from imgplane.usage_metrics
        where day = '2024-03-01' and space_id = $1`,
      [db.org.tenants[0].spaceId],
    );
    expect(counters.rows).toEqual([{ request_count: '15', bandwidth_bytes: '100', cache_hit_count: '1', upload_count: '0' }]);
  });

  it('is not callable by a tenant key', async () => {
    const settings: RequestSettings = { role: 'imgplane_tenant', organizationId: db.org.id, scopes: ALL_SCOPES };
    const outcome = await attempt(db.pool, settings, 'select imgplane.record_usage($1)', [JSON.stringify([usage(db.other, 0, '2024-03-01', { request_count: 1 })])]);
    expect(outcome).toEqual({ ok: false, code: INSUFFICIENT_PRIVILEGE });
  });
});

describe('UsageRecorder', () => {
  it('counts the records of one scope object on the day each was made, across midnight UTC', async () => {
    let now = new Date('2024-04-01T23:59:59.500Z');
    const recorder = new UsageRecorder(db.pool, 3_600_000, { now: () => now });
    const tenant = db.org.tenants[1];
    // One object for every record, as a memory hit passes its catalog space each time.
    const space = { organizationId: db.org.id, tenantId: tenant.id, spaceId: tenant.spaceId };
    recorder.record(space, { request_count: 1, bandwidth_bytes: 10 });
    recorder.record(space, { request_count: 1, bandwidth_bytes: 5 });
    now = new Date('2024-04-02T00:00:00.250Z');
    recorder.record(space, { request_count: 1 });
    await recorder.close();
    const { rows } = await db.pool.query(
      `select day::text, request_count, bandwidth_bytes from imgplane.usage_metrics
        where space_id = $1 and day between '2024-04-01' and '2024-04-02' order by day`,
      [tenant.spaceId],
    );
    expect(rows).toEqual([
      { day: '2024-04-01', request_count: '2', bandwidth_bytes: '15' },
      { day: '2024-04-02', request_count: '1', bandwidth_bytes: '0' },
    ]);
  });
});

describe('usage views', () => {
  beforeAll(async () => {
    const batch = [
      usage(db.org, 0, '2024-05-01', { request_count: 1 }),
      usage(db.org, 1, '2024-05-20', { request_count: 2 }),
      usage(db.org, 0, '2024-06-01', { request_count: 4 }),
      usage(db.other, 0, '2024-05-01', { request_count: 8 }),
    ];
    await db.pool.query('select imgplane.record_usage($1)', [JSON.stringify(batch)]);
  });

  it('usage_daily_by_space has one row per day and space, with slugs', async () => {
    const outcome = await asAnalyst(await analystOf(db.org), [
      `select day::text, organization_slug, tenant_slug, space_slug, request_count from imgplane.usage_daily_by_space
        where day between '2024-05-01' and '2024-06-30' order by day`,
    ]);
    expect(outcome).toEqual({
      ok: true,
      rowCount: 3,
      rows: [
        { day: '2024-05-01', organization_slug: db.org.slug, tenant_slug: db.org.tenants[0].slug, space_slug: db.org.tenants[0].spaceSlug, request_count: '1' },
        { day: '2024-05-20', organization_slug: db.org.slug, tenant_slug: db.org.tenants[1].slug, space_slug: db.org.tenants[1].spaceSlug, request_count: '2' },
        { day: '2024-06-01', organization_slug: db.org.slug, tenant_slug: db.org.tenants[0].slug, space_slug: db.org.tenants[0].spaceSlug, request_count: '4' },
      ],
    });
  });

  it('usage_monthly_by_organization sums each month per organization, scoped to the analyst organization', async () => {
    const outcome = await asAnalyst(await analystOf(db.org), [
      `select month::text, organization_slug, request_count from imgplane.usage_monthly_by_organization
        where month between '2024-05-01' and '2024-06-01' order by month`,
    ]);
    expect(outcome).toMatchObject({
      rows: [
        { month: '2024-05-01', organization_slug: db.org.slug, request_count: '3' },
        { month: '2024-06-01', organization_slug: db.org.slug, request_count: '4' },
      ],
    });
  });

  it('documents every column of the usage and audit tables and views', async () => {
    const { rows } = await db.pool.query<{ relation: string; column: string }>(
      `select c.relname as relation, a.attname as column
         from pg_attribute a join pg_class c on c.oid = a.attrelid
        where c.relnamespace = 'imgplane'::regnamespace
          and c.relname in ('usage_metrics', 'audit_logs', 'usage_daily_by_space', 'usage_monthly_by_organization')
          and a.attnum > 0 and not a.attisdropped
          and col_description(c.oid, a.attnum) is null`,
    );
    expect(rows).toEqual([]);
  });
});
