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

describe('schema imgplane', () => {
  it('has row-level security enabled on every table', async () => {
    const { rows } = await db.pool.query<{ table: string; rls: boolean }>(
      `select relname as table, relrowsecurity as rls from pg_class
        where relnamespace = 'imgplane'::regnamespace and relkind in ('r', 'p') order by relname`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(13);
    expect(rows.filter((row) => !row.rls).map((row) => row.table)).toEqual([]);
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
