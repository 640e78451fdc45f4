/**
 * Analyst logins (issue: analyst isolation must not be self-asserted): what a data team's login
 * sees follows from the role it logs in as, and no setting, `set role`, function or view widens it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAnalyst, createAnalystLogin, dropAnalystLogins, type AnalystLogin } from './analyst-logins.ts';
import { ALL_SCOPES, attempt, INSUFFICIENT_PRIVILEGE, type RequestSettings } from './database.ts';
import { useSeededDatabase } from './seed.ts';

const db = useSeededDatabase();
const logins: AnalystLogin[] = [];
let analystA: AnalystLogin;
let platformAnalyst: AnalystLogin;

/** Tables and views analysts read, each with its organization column. */
const ANALYST_RELATIONS = [
  'organizations', 'tenants', 'spaces', 'usage_metrics', 'usage_monthly', 'audit_logs', 'storage_daily',
  'usage_daily_by_space', 'usage_monthly_by_organization',
] as const;
const organizationColumn = (relation: string) => (relation === 'organizations' ? 'id' : 'organization_id');

function orgAdmin(organizationId: string): RequestSettings {
  return { role: 'imgplane_tenant', organizationId, scopes: ALL_SCOPES };
}

async function organizationsSeen(login: AnalystLogin, relation: string, before: string[] = []): Promise<string[]> {
  const outcome = await asAnalyst(login, [...before, `select distinct ${organizationColumn(relation)}::text as org from imgplane.${relation}`]);
  if (!outcome.ok) throw new Error(`${relation}: ${outcome.code}`);
  return outcome.rows.map((row) => String(row.org)).sort();
}

beforeAll(async () => {
  const usage = [db.org, db.other].map((fixture) => ({
    day: '2024-07-01', organization_id: fixture.id, tenant_id: fixture.tenants[0].id, space_id: fixture.tenants[0].spaceId, request_count: 1,
  }));
  await db.pool.query('select imgplane.record_usage($1)', [JSON.stringify(usage)]);
  analystA = await createAnalystLogin(db.pool, db.org.id, orgAdmin(db.org.id));
  platformAnalyst = await createAnalystLogin(db.pool, null);
  logins.push(analystA, platformAnalyst);
});

afterAll(() => dropAnalystLogins(db.pool, logins));

describe('an analyst login of organization A', () => {
  for (const relation of ANALYST_RELATIONS) {
    it(`reads organization A only from ${relation}`, async () => {
      const seen = await organizationsSeen(analystA, relation);
      expect(seen).toContain(db.org.id);
      expect(seen).not.toContain(db.other.id);
    });
  }

  it('gains nothing by setting the request settings of organization B', async () => {
    const forged = [
      `select set_config('imgplane.org_id', '${db.other.id}', false)`,
      `set imgplane.tenant_id = '${db.other.tenants[0].id}'`,
      `set imgplane.scopes = 'admin,image:read'`,
    ];
    for (const relation of ANALYST_RELATIONS) {
      expect(await organizationsSeen(analystA, relation, forged), relation).not.toContain(db.other.id);
    }
    expect(await organizationsSeen(analystA, 'usage_metrics', [`reset imgplane.org_id`])).toEqual([db.org.id]);
  });

  it('sees nothing after `set role imgplane_analyst`, and may become no other role', async () => {
    expect(await organizationsSeen(analystA, 'audit_logs', ['set role imgplane_analyst'])).toEqual([]);
    for (const role of ['imgplane_tenant', 'imgplane_admin', 'imgplane_worker', 'imgplane_owner', 'imgplane_authenticator', platformAnalyst.roleName]) {
      expect(await asAnalyst(analystA, [`set role ${role}`]), role).toEqual({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    }
  });

  it('may execute no function but the helpers of its own policies', async () => {
    const outcome = await asAnalyst(analystA, [
      `select p.oid::regprocedure::text as name from pg_proc p
        where p.pronamespace = 'imgplane'::regnamespace and has_function_privilege(p.oid, 'execute') order by 1`,
    ]);
    expect(outcome).toMatchObject({ ok: true, rows: [{ name: 'imgplane.analyst_organizations()' }, { name: 'imgplane.analyst_reaches(uuid)' }] });
    // security definer functions that read across organizations
    for (const call of [
      `select * from imgplane.delivery_context('${db.other.slug}', '${db.other.tenants[0].slug}', '${db.other.tenants[0].spaceSlug}')`,
      `select * from imgplane.effective_policy('${db.other.tenants[0].spaceId}')`,
      `select * from imgplane.create_analyst_login('${db.other.id}')`,
    ]) {
      expect(await asAnalyst(analystA, [call]), call).toEqual({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    }
  });

  it('cannot write, nor read key secrets', async () => {
    for (const sql of [
      `insert into imgplane.analyst_logins (role_name, organization_id) values ('${analystA.roleName}', null)`,
      `update imgplane.analyst_logins set organization_id = null`,
      `delete from imgplane.audit_logs`,
      'select secret_hash from imgplane.api_keys',
    ]) {
      expect(await asAnalyst(analystA, [sql]), sql).toEqual({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    }
  });
});

describe('creating analyst logins', () => {
  it('is for an organization-wide admin key of that organization, or the platform operator', async () => {
    const tenantScoped: RequestSettings = { ...orgAdmin(db.org.id), tenantId: db.org.tenants[0].id };
    const noAdmin: RequestSettings = { role: 'imgplane_tenant', organizationId: db.org.id, scopes: ['image:read', 'image:write'] };
    for (const [who, settings, organizationId] of [
      ['an admin key of another organization', orgAdmin(db.other.id), db.org.id],
      ['a tenant-scoped admin key', tenantScoped, db.org.id],
      ['a key without the admin scope', noAdmin, db.org.id],
      ['an organization admin asking for a platform-wide login', orgAdmin(db.org.id), null],
      ['anonymous', { role: 'imgplane_anonymous' }, db.org.id],
    ] as const) {
      const outcome = await attempt(db.pool, settings, 'select * from imgplane.create_analyst_login($1)', [organizationId]);
      expect(outcome, who).toEqual({ ok: false, code: INSUFFICIENT_PRIVILEGE });
    }
  });

  it('lets the organization admin list its logins but not drop another organization\'s', async () => {
    const listed = await attempt(db.pool, orgAdmin(db.org.id), 'select role_name from imgplane.analyst_logins');
    expect(listed).toMatchObject({ ok: true, rows: [{ role_name: analystA.roleName }] });
    const dropped = await attempt(db.pool, orgAdmin(db.other.id), 'select imgplane.drop_analyst_login($1) as dropped', [analystA.roleName]);
    expect(dropped).toMatchObject({ ok: true, rows: [{ dropped: false }] });
  });

  it('makes a platform-wide login, by the operator, that reads every organization', async () => {
    const seen = await organizationsSeen(platformAnalyst, 'usage_metrics');
    expect(seen).toEqual(expect.arrayContaining([db.org.id, db.other.id]));
  });

  it("reads the platform operator's audit rows (no organization) only when platform-wide", async () => {
    const { rows } = await db.pool.query<{ id: string }>(
      `insert into imgplane.audit_logs (organization_id, actor_type, action, resource_type) values (null, 'database', 'api_key.insert', 'api_key') returning id`,
    );
    const seenBy = async (login: AnalystLogin) => asAnalyst(login, ['select id::text from imgplane.audit_logs where id = $1'], [rows[0]!.id]);
    expect(await seenBy(platformAnalyst)).toMatchObject({ ok: true, rowCount: 1 });
    expect(await seenBy(analystA)).toMatchObject({ ok: true, rowCount: 0 });
  });

  it("finds its organisation's rows through an index: the policy's helper is evaluated once, not per row", async () => {
    for (const relation of ['usage_metrics', 'usage_monthly', 'audit_logs', 'storage_daily']) {
      const outcome = await asAnalyst(analystA, ['set enable_seqscan = off', `explain (costs off) select count(*) from imgplane.${relation}`]);
      if (!outcome.ok) throw new Error(`${relation}: ${outcome.code}`);
      const plan = outcome.rows.map((row) => String(row['QUERY PLAN'])).join('\n');
      expect(plan, relation).toMatch(/Index (Only )?Cond: \(organization_id = ANY \(imgplane\.analyst_organizations\(\)\)\)/);
      expect(plan, relation).not.toMatch(/Seq Scan/);
    }
  });

  it('shows the password once: the mapping keeps none, and a dropped login can no longer connect', async () => {
    const login = await createAnalystLogin(db.pool, db.org.id);
    const columns = await db.pool.query<{ column: string }>(
      `select attname as column from pg_attribute where attrelid = 'imgplane.analyst_logins'::regclass and attnum > 0 and not attisdropped`,
    );
    expect(columns.rows.map((row) => row.column).sort()).toEqual(['created_at', 'created_by_api_key', 'organization_id', 'role_name']);
    expect(await asAnalyst(login, ['select 1'])).toMatchObject({ ok: true });
    await dropAnalystLogins(db.pool, [login]);
    await expect(asAnalyst(login, ['select 1'])).rejects.toThrow();
  });
});
