/**
 * Catalog-level guarantees that hold for every table, present and future: row-level security is
 * on, views keep the caller's security, and no request role touches a secret column.
 */
import { describe, expect, it } from 'vitest';
import { ALL_SCOPES, attempt, INSUFFICIENT_PRIVILEGE, type RequestSettings } from './database.ts';
import { useSeededDatabase } from './seed.ts';

const REQUEST_ROLES = ['imgplane_admin', 'imgplane_tenant', 'imgplane_analyst', 'imgplane_anonymous'] as const;
const SECRET_COLUMNS = [
  { table: 'api_keys', column: 'secret_hash' },
  { table: 'signing_keys', column: 'secret_ciphertext' },
] as const;

const db = useSeededDatabase();

/**
 * Functions PUBLIC may execute. Empty on purpose: db/policies/990_role_boundary.sql revokes PUBLIC
 * from every function and grants the request roles what they call. Add a function here only with
 * a reason it must be callable by every role of the cluster.
 */
const PUBLIC_EXECUTE_ALLOW_LIST: readonly string[] = [];

/** The foreign keys without an index that finds their rows: an index leading with the key's first column, or with all its columns. */
const UNINDEXED_FOREIGN_KEYS = `
  select c.conrelid::regclass::text as table, c.conname::text as foreign_key
    from pg_constraint c
   where c.contype = 'f' and c.connamespace = 'imgplane'::regnamespace
     and not exists (
       select from pg_index i
        cross join lateral (select string_to_array(i.indkey::text, ' ')::int2[] as cols) k
        where i.indrelid = c.conrelid and i.indisvalid
          and (i.indpred is null or pg_get_expr(i.indpred, i.indrelid) =
               format('(%I IS NOT NULL)', (select attname from pg_attribute where attrelid = c.conrelid and attnum = k.cols[1])))
          and (k.cols[1] = c.conkey[1]
               or (select array_agg(x order by x) from unnest(k.cols[1:cardinality(c.conkey)]) x)
                = (select array_agg(x order by x) from unnest(c.conkey) x)))
   order by 1, 2`;

describe('schema imgplane', () => {
  it('has row-level security enabled on every table', async () => {
    const { rows } = await db.pool.query<{ table: string; rls: boolean }>(
      `select relname as table, relrowsecurity as rls from pg_class
        where relnamespace = 'imgplane'::regnamespace and relkind in ('r', 'p') order by relname`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(13);
    expect(rows.filter((row) => !row.rls).map((row) => row.table)).toEqual([]);
  });

  it('forces row-level security on every table, so its owner passes through policies too', async () => {
    const { rows } = await db.pool.query<{ table: string }>(
      `select relname as table from pg_class
        where relnamespace = 'imgplane'::regnamespace and relkind in ('r', 'p') and not relforcerowsecurity order by relname`,
    );
    expect(rows.map((row) => row.table)).toEqual([]);
  });

  it('has an index for every foreign key', async () => {
    const { rows } = await db.pool.query<{ table: string; foreign_key: string }>(UNINDEXED_FOREIGN_KEYS);
    expect(rows).toEqual([]);
  });

  it('lets PUBLIC execute no function that is not on the allow-list', async () => {
    const { rows } = await db.pool.query<{ name: string }>(
      `select p.oid::regprocedure::text as name from pg_proc p
        where p.pronamespace = 'imgplane'::regnamespace
          and (p.proacl is null or exists (select from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE'))
          and not (p.proname = any ($1::text[]))
        order by 1`,
      [PUBLIC_EXECUTE_ALLOW_LIST],
    );
    expect(rows.map((row) => row.name)).toEqual([]);
  });

  it('is owned by imgplane_owner, which cannot log in, except the analyst-login functions', async () => {
    const { rows } = await db.pool.query<{ name: string; owner: string }>(
      `select c.oid::regclass::text as name, c.relowner::regrole::text as owner from pg_class c
        where c.relnamespace = 'imgplane'::regnamespace and c.relkind in ('r', 'p', 'v', 'm') and c.relowner <> 'imgplane_owner'::regrole
       union all
       select p.oid::regprocedure::text, p.proowner::regrole::text from pg_proc p
        where p.pronamespace = 'imgplane'::regnamespace and p.proowner <> 'imgplane_owner'::regrole
          and p.proowner <> 'imgplane_analyst_admin'::regrole`,
    );
    expect(rows).toEqual([]);
    const owner = await db.pool.query(`select rolcanlogin, rolsuper, rolbypassrls from pg_roles where rolname = 'imgplane_owner'`);
    expect(owner.rows).toEqual([{ rolcanlogin: false, rolsuper: false, rolbypassrls: false }]);
  });

  it('has an authenticator that logs in without privileges of its own and may only become request roles', async () => {
    const role = await db.pool.query(
      `select rolcanlogin, rolinherit, rolsuper, rolcreaterole, rolbypassrls from pg_roles where rolname = 'imgplane_authenticator'`,
    );
    expect(role.rows).toEqual([{ rolcanlogin: true, rolinherit: false, rolsuper: false, rolcreaterole: false, rolbypassrls: false }]);
    const { rows } = await db.pool.query<{ role: string }>(
      `select m.roleid::regrole::text as role from pg_auth_members m
        where m.member = 'imgplane_authenticator'::regrole order by 1`,
    );
    expect(rows.map((row) => row.role)).toEqual([
      'imgplane_admin', 'imgplane_analyst', 'imgplane_anonymous', 'imgplane_tenant', 'imgplane_worker',
    ]);
  });

  it('defines every view with security_invoker so row-level security still applies through it', async () => {
    const { rows } = await db.pool.query<{ view: string; options: string[] | null }>(
      `select relname as view, reloptions as options from pg_class
        where relnamespace = 'imgplane'::regnamespace and relkind = 'v'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.options ?? [], row.view).toContain('security_invoker=true');
  });

  it('grants no request role any privilege on a secret column', async () => {
    const { rows } = await db.pool.query<{ grantee: string; table: string; column: string; privilege: string }>(
      `select r as grantee, c.tbl as table, c.col as column, p as privilege
         from unnest($1::text[]) r,
              jsonb_to_recordset($2::jsonb) c(tbl text, col text),
              unnest(array['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) p
        where has_column_privilege(r, ('imgplane.' || c.tbl)::regclass, c.col, p)`,
      [REQUEST_ROLES, JSON.stringify(SECRET_COLUMNS.map(({ table, column }) => ({ tbl: table, col: column })))],
    );
    expect(rows).toEqual([]);
  });
});

describe('secret columns', () => {
  const requests = (): Record<string, RequestSettings> => ({
    'an organization-wide admin key': { role: 'imgplane_tenant', organizationId: db.org.id, scopes: ALL_SCOPES },
    'an analyst': { role: 'imgplane_analyst', organizationId: db.org.id },
    anonymous: { role: 'imgplane_anonymous' },
    'the platform operator': { role: 'imgplane_admin', scopes: ALL_SCOPES },
  });

  for (const { table, column } of SECRET_COLUMNS) {
    it(`refuses to select ${table}.${column} to every request role`, async () => {
      for (const [who, settings] of Object.entries(requests())) {
        const outcome = await attempt(db.pool, settings, `select ${column} from imgplane.${table} where organization_id = $1`, [db.org.id]);
        expect(outcome, who).toEqual({ ok: false, code: INSUFFICIENT_PRIVILEGE });
      }
    });
  }

  it('lets an admin key list its keys without their secrets', async () => {
    const outcome = await attempt(db.pool, requests()['an organization-wide admin key']!, 'select id, key_id, scopes from imgplane.api_keys');
    expect(outcome).toMatchObject({ ok: true, rowCount: 3 });
  });
});
