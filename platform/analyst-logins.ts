/**
 * PostgreSQL logins for data teams (db/functions/810_analyst_logins.sql): each reads the usage and
 * audit data of one organization (or, made by the platform operator, of all), decided by the
 * database from the login role itself. The password is returned once and kept nowhere else.
 * GraphQL exposes the same functions (createAnalystLogin, dropAnalystLogin); the CLI calls these.
 */
import type pg from 'pg';
import { withClaims, type Claims } from './request-context.ts';

export interface AnalystLogin {
  roleName: string;
  /** Shown once: PostgreSQL keeps only its hash. */
  password: string;
}

/** A login for `organizationId`, or platform-wide for null (the platform operator's claims only). */
export async function createAnalystLogin(pool: pg.Pool, claims: Claims, organizationId: string | null): Promise<AnalystLogin> {
  return withClaims(pool, claims, async (client) => {
    const { rows } = await client.query<{ role_name: string; password: string }>(
      'select role_name, password from imgplane.create_analyst_login($1)',
      [organizationId],
    );
    return { roleName: rows[0]!.role_name, password: rows[0]!.password };
  });
}

/** Drops a login the claims administer; false for unknown logins and those of other organizations. */
export async function dropAnalystLogin(pool: pg.Pool, claims: Claims, roleName: string): Promise<boolean> {
  return withClaims(pool, claims, async (client) => {
    const { rows } = await client.query<{ dropped: boolean }>('select imgplane.drop_analyst_login($1) as dropped', [roleName]);
    return rows[0]?.dropped === true;
  });
}

/** The connection string a data team uses: the server's database URL with the login's credentials. */
export function analystConnectionString(databaseUrl: string, login: AnalystLogin): string {
  const url = new URL(databaseUrl);
  url.username = login.roleName;
  url.password = login.password;
  url.search = '';
  return url.toString();
}
