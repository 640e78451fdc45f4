/**
 * audit_logs and usage_metrics are partitioned by month (db/functions/076_partitions.sql): no write
 * fails for want of a partition, maintenance gives every month its own, retention drops whole
 * months, a time-bounded query reads only its months, and a partition answers nobody directly.
 * On a database of this file's own: it creates and drops partitions every other file writes to.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES, attempt, createIsolatedDatabase, createPool, INSUFFICIENT_PRIVILEGE, uniqueSlug, type IsolatedDatabase, type RequestSettings } from './database.ts';

let database: IsolatedDatabase;
let pool: pg.Pool;
let space: { organization_id: string; tenant_id: string; space_id: string };

const WORKER: RequestSettings = { role: 'imgplane_worker' };

beforeAll(async () => {
  database = await createIsolatedDatabase();
  pool = createPool(4, database.url);
  const { rows } = await pool.query<typeof space>(
    `with o as (insert into imgplane.organizations (slug, name) values ($1, $1) returning id),
          t as (insert into imgplane.tenants (organization_id, slug, name) select id, 'web', 'web' from o returning id, organization_id)
     insert into imgplane.spaces (organization_id, tenant_id, slug, name) select organization_id, id, 'main', 'main' from t
     returning organization_id, tenant_id, id as space_id`,
    [uniqueSlug('parts')],
  );
  space = rows[0]!;
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

async function partitionsOf(table: string): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `select c.relname::text as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = $1::regclass order by 1`,
    [`imgplane.${table}`],
  );
  return rows.map((row) => row.name);
}

/** The partition a stored row is in. */
async function partitionHolding(sql: string, params: unknown[]): Promise<string> {
  const { rows } = await pool.query<{ partition: string }>(sql, params);
  return rows[0]!.partition;
}

const monthName = (offset: number) => {
  const now = new Date();
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return `${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
};

describe('monthly partitions', () => {
  it('exist for this month and the two ahead once the database is applied', async () => {
    for (const table of ['audit_logs', 'usage_metrics']) {
      expect(await partitionsOf(table)).toEqual(expect.arrayContaining([0, 1, 2].map((offset) => `${table}_${monthName(offset)}`).concat(`${table}_default`)));
    }
  });

  it('take a row of a month without a partition into the default one, then give that month its own', async () => {
    const old = await pool.query<{ id: string }>(
      `insert into imgplane.audit_logs (organization_id, actor_type, action, resource_type, created_at)
       values ($1, 'database', 'asset.insert', 'asset', timestamptz '2024-03-15 12:00+00') returning id`,
      [space.organization_id],
    );
    await pool.query(
      `insert into imgplane.usage_metrics (day, organization_id, tenant_id, space_id, request_count) values ('2024-03-15', $1, $2, $3, 7)`,
      [space.organization_id, space.tenant_id, space.space_id],
    );
    const auditPartition = 'select tableoid::regclass::text as partition from imgplane.audit_logs where id = $1';
    const usagePartition = `select tableoid::regclass::text as partition from imgplane.usage_metrics where space_id = $1 and day = '2024-03-15'`;
    expect(await partitionHolding(auditPartition, [old.rows[0]!.id])).toBe('imgplane.audit_logs_default');
    expect(await partitionHolding(usagePartition, [space.space_id])).toBe('imgplane.usage_metrics_default');

    const maintained = await attempt(pool, WORKER, 'select imgplane.maintain_partitions(2) as created', []);
    expect(maintained).toMatchObject({ ok: true });
    await pool.query('select imgplane.maintain_partitions(2)');
    expect(await partitionHolding(auditPartition, [old.rows[0]!.id])).toBe('imgplane.audit_logs_2024_03');
    expect(await partitionHolding(usagePartition, [space.space_id])).toBe('imgplane.usage_metrics_2024_03');
    // nothing left to do: a second run creates nothing
    expect((await pool.query('select imgplane.maintain_partitions(2) as created')).rows[0].created).toBe(0);
  });

  it('lets retention drop whole months past the cutoff and count their rows, keeping the months inside it', async () => {
    await pool.query(
      `insert into imgplane.audit_logs (organization_id, actor_type, action, resource_type, created_at)
       select $1, 'database', 'asset.update', 'asset', timestamptz '2024-05-01 00:00+00' + make_interval(hours => g) from generate_series(1, 30) g`,
      [space.organization_id],
    );
    await pool.query('select imgplane.maintain_partitions(2)');
    expect(await partitionsOf('audit_logs')).toEqual(expect.arrayContaining(['audit_logs_2024_03', 'audit_logs_2024_05']));
    const { rows } = await pool.query<{ deleted: number }>(`select imgplane.delete_expired('audit_logs', 365, 1000) as deleted`);
    expect(rows[0]!.deleted).toBe(31);
    const left = await partitionsOf('audit_logs');
    expect(left).not.toContain('audit_logs_2024_03');
    expect(left).not.toContain('audit_logs_2024_05');
    expect(left).toContain(`audit_logs_${monthName(0)}`);

    const usage = await pool.query<{ deleted: number }>(`select imgplane.delete_expired('usage_metrics', 400, 1000) as deleted`);
    expect(usage.rows[0]!.deleted).toBe(1);
    expect(await partitionsOf('usage_metrics')).not.toContain('usage_metrics_2024_03');
  });

  it("reads only the months a query's time bounds reach", async () => {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `explain select sum(request_count) from imgplane.usage_metrics
          where organization_id = $1 and day >= date_trunc('month', now())::date and day < (date_trunc('month', now()) + interval '1 month')::date`,
        [space.organization_id],
      );
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      const scanned = [...plan.matchAll(/on (usage_metrics_\w+)/g)].map((match) => match[1]);
      expect(new Set(scanned)).toEqual(new Set([`usage_metrics_${monthName(0)}`]));
    } finally {
      client.release();
    }
  });

  it('answers no request role that names a partition directly, and lets only the worker maintain them', async () => {
    const tenant: RequestSettings = { role: 'imgplane_tenant', organizationId: space.organization_id, scopes: ALL_SCOPES };
    const roles: RequestSettings[] = [tenant, { role: 'imgplane_admin' }, WORKER, { role: 'imgplane_analyst', organizationId: space.organization_id }, { role: 'imgplane_anonymous' }];
    for (const settings of roles) {
      for (const partition of [`audit_logs_${monthName(0)}`, 'usage_metrics_default']) {
        expect(await attempt(pool, settings, `select 1 from imgplane.${partition} limit 1`), `${settings.role} ${partition}`).toEqual({ ok: false, code: INSUFFICIENT_PRIVILEGE });
      }
    }
    for (const settings of [tenant, { role: 'imgplane_admin' } as const]) {
      expect(await attempt(pool, settings, 'select imgplane.maintain_partitions(2)'), settings.role).toEqual({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    }
    // the pieces that create and drop any month are the owner's alone, the worker's included
    for (const settings of roles) {
      for (const call of [`select imgplane.drop_expired_partitions('imgplane.audit_logs', now() + interval '10 years')`, `select imgplane.create_month_partitions('imgplane.audit_logs', '2030-01-01', '2039-12-01')`]) {
        expect(await attempt(pool, settings, call), `${settings.role}: ${call}`).toEqual({ ok: false, code: INSUFFICIENT_PRIVILEGE });
      }
    }
    // the partitions the worker made at run time have the same boundary as those made at apply
    const { rows } = await pool.query<{ name: string; rls: boolean; forced: boolean; owner: string }>(
      `select c.relname::text as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced, pg_get_userbyid(c.relowner)::text as owner
         from pg_class c where c.relnamespace = 'imgplane'::regnamespace and c.relkind = 'r' and c.relispartition`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const row of rows) expect(row, row.name).toMatchObject({ rls: true, forced: true, owner: 'imgplane_owner' });
  });
});
