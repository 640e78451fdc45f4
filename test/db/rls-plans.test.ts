/**
 * Row-level security that indexes can serve. The policies call the helpers of
 * db/functions/010_request_context.sql; PostgreSQL inlines a SQL function only when its body is
 * one plain expression (no sub-SELECT), and a helper left as a call runs once per row, where no
 * index can use it: at 250k assets an organisation's count took 408 ms by sequential scan.
 */
import { describe, expect, it } from 'vitest';
import { ALL_SCOPES, asRequest, type RequestSettings } from './database.ts';
import { useSeededDatabase } from './seed.ts';

const db = useSeededDatabase();

/** The request-context helpers: none may survive inlining into a plan. */
const HELPER_CALL = /imgplane\.(request_reaches|request_may_read|request_may_change|has_scope|current_org_id|current_tenant_id|current_api_key_id|caller_administers)\(/;

async function planAs(settings: RequestSettings, sql: string, options: { seqScan?: boolean; withoutIndex?: string } = {}): Promise<string> {
  const { withoutIndex } = options;
  return asRequest(
    db.pool,
    settings,
    async (client) => {
      if (options.seqScan === false) await client.query('set local enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (costs off) ${sql}`);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    },
    // dropped inside the rolled-back transaction: the plan shows what the other indexes can do
    { setUp: withoutIndex ? async (client) => void (await client.query(`drop index imgplane.${withoutIndex}`)) : undefined },
  );
}

describe('row-level security plans', () => {
  it('inline every request-context helper in the policies of every table a tenant reads', async () => {
    const { rows } = await db.pool.query<{ table: string }>(
      `select distinct c.relname::text as table from pg_policy p join pg_class c on c.oid = p.polrelid
        where c.relnamespace = 'imgplane'::regnamespace and c.relkind in ('r', 'p')
          and has_any_column_privilege('imgplane_tenant', c.oid, 'SELECT') order by 1`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(10);
    const claims: readonly RequestSettings[] = [
      { role: 'imgplane_tenant', organizationId: db.org.id, scopes: ALL_SCOPES },
      { role: 'imgplane_tenant', organizationId: db.org.id, tenantId: db.org.tenants[0].id, scopes: ['image:read'] },
    ];
    const calling: string[] = [];
    for (const { table } of rows) {
      for (const settings of claims) {
        const plan = await planAs(settings, `select 1 from imgplane.${table}`);
        const call = HELPER_CALL.exec(plan);
        if (call) calling.push(`${table} (${settings.tenantId ? 'tenant key' : 'organisation key'}): ${call[0]}`);
      }
    }
    expect(calling).toEqual([]);
  });

  it("finds an organisation's assets under a folder through an index: startsWith is leakproof, so RLS lets the index serve it", async () => {
    const orgKey: RequestSettings = { role: 'imgplane_tenant', organizationId: db.org.id, scopes: ALL_SCOPES };
    // The organisation's live-assets index would serve either query through organization_id alone
    // (the planner's choice on this small table): without it, only the leakproof prefix may reach an index.
    const options = { seqScan: false, withoutIndex: 'assets_organization_live_idx' };
    // what graphql/starts-with.ts sends for allAssets(filter: { folder: { startsWith: "/shop" } })
    const prefix = await planAs(orgKey, `select id from imgplane.assets where starts_with(folder, '/shop') and deleted_at is null`, options);
    expect(prefix).toMatch(/Index Cond: \(\(organization_id = [^\n]*\) AND \(folder ~>=~ '\/shop'::text\) AND \(folder ~<~ '\/shoq'::text\)\)/);
    // the connection filter's own LIKE: not leakproof, so it waits for the policy and no index uses it
    const like = await planAs(orgKey, `select id from imgplane.assets where folder like '/shop%' and deleted_at is null`, options);
    expect(like).not.toMatch(/Index Cond: [^\n]*folder/);
  });

  it("finds an organisation's live assets, and counts them, through an index", async () => {
    const orgKey: RequestSettings = { role: 'imgplane_tenant', organizationId: db.org.id, scopes: ALL_SCOPES };
    const page = await planAs(orgKey, 'select id from imgplane.assets where deleted_at is null order by created_at desc limit 20', { seqScan: false });
    const count = await planAs(orgKey, 'select count(*) from imgplane.assets where deleted_at is null', { seqScan: false });
    for (const plan of [page, count]) {
      expect(plan).not.toMatch(/Seq Scan on assets/);
      expect(plan).toMatch(/Index Cond: \(organization_id = /);
    }
  });
});
