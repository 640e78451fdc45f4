/**
 * Analyst logins for the SQL tests: real login roles made by create_analyst_login(), and
 * statements run over a connection logged in as one, the way a data team connects.
 */
import pg from 'pg';
import { asRequest, databaseUrl, type Outcome, type RequestSettings } from './database.ts';

export interface AnalystLogin {
  roleName: string;
  password: string;
}

const OPERATOR: RequestSettings = { role: 'imgplane_admin' };

/** Creates a login for one organization (null: platform-wide) as `by` (default: the platform operator). */
export async function createAnalystLogin(pool: pg.Pool, organizationId: string | null, by: RequestSettings = OPERATOR): Promise<AnalystLogin> {
  return asRequest(
    pool,
    by,
    async (client) => {
      const { rows } = await client.query<{ role_name: string; password: string }>(
        'select role_name, password from imgplane.create_analyst_login($1)',
        [organizationId],
      );
      return { roleName: rows[0]!.role_name, password: rows[0]!.password };
    },
    { commit: true },
  );
}

/** Roles outlive a test database: drop them after the test. */
export async function dropAnalystLogins(pool: pg.Pool, logins: readonly AnalystLogin[]): Promise<void> {
  for (const login of logins) {
    await asRequest(pool, OPERATOR, (client) => client.query('select imgplane.drop_analyst_login($1)', [login.roleName]), { commit: true });
  }
}

export function analystUrl(login: AnalystLogin, url = databaseUrl()): string {
  const target = new URL(url);
  target.username = login.roleName;
  target.password = login.password;
  return target.toString();
}

/** Runs statements in one session logged in as the analyst; a database error becomes an Outcome. */
export async function asAnalyst(login: AnalystLogin, statements: readonly string[], params: unknown[] = []): Promise<Outcome> {
  const client = new pg.Client({ connectionString: analystUrl(login) });
  client.on('error', () => {});
  await client.connect();
  try {
    let last: pg.QueryResult<Record<string, unknown>> | undefined;
    for (const sql of statements) last = await client.query<Record<string, unknown>>(sql, sql.includes('$1') ? params : []);
    return { ok: true, rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0 };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') throw error;
    return { ok: false, code };
  } finally {
    await client.end();
  }
}
