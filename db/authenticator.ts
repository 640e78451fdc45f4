/**
 * The login every request and job connects as (db/schema/20261201030003_role_boundary.sql):
 * imgplane_authenticator holds no privilege of its own (NOINHERIT) and may only `set role` to the
 * five request roles. A connection that forgot its role, or a statement that tries to become
 * imgplane_owner, gets nothing. The migrating login (DATABASE_URL) is kept for migrations and for
 * graphile-worker's queue, which it owns.
 */
import { ConfigError } from '../core/config.ts';

export const AUTHENTICATOR_ROLE = 'imgplane_authenticator';

/** DATABASE_URL's server and database, as the authenticator, with `password` ('' for none). */
export function authenticatorUrl(databaseUrl: string, password = ''): string {
  const url = new URL(databaseUrl);
  if (url.hostname === '') {
    throw new ConfigError('AUTH_DATABASE_URL is required when DATABASE_URL names no host (a Unix socket): the authenticator login cannot be derived from it');
  }
  url.username = AUTHENTICATOR_ROLE;
  url.password = password;
  return url.toString();
}

/** AUTH_DATABASE_URL when set, else the authenticator on DATABASE_URL's server. */
export function runtimeDatabaseUrl(config: { databaseUrl: string; authDatabaseUrl?: string | undefined }): string {
  return config.authDatabaseUrl ?? authenticatorUrl(config.databaseUrl);
}
