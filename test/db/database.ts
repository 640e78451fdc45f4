/**
 * Database access for the SQL tests: a pool on the database the global setup prepared, and
 * transactions run as a request role exactly the way the server sets one up.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, dropDatabases, testPool } from '../support/services.ts';

export type RoleName = 'imgplane_admin' | 'imgplane_tenant' | 'imgplane_worker' | 'imgplane_analyst' | 'imgplane_anonymous';

export interface RequestSettings {
  role: RoleName;
  organizationId?: string;
  /** Set for a tenant-scoped key; omitted for organization-wide keys. */
  tenantId?: string;
  apiKeyId?: string;
  scopes?: readonly string[];
}

export const ALL_SCOPES = ['image:read', 'image:write', 'sign', 'admin'] as const;

export function databaseUrl(): string {
  return inject('databaseUrl');
}

/**
 * A pool for a test. Its connections listen for 'error': a connection the server ends while it
 * is idle (a database dropped, a backend terminated) would otherwise raise an uncaught exception
 * that fails the whole run, although every test passed. The error still reaches the next query.
 */
export function createPool(max = 4, url = databaseUrl()): pg.Pool {
  return testPool(url, max);
}

/** A connected client for a test, listening for 'error' like createPool's. */
export async function connectClient(url = databaseUrl()): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  return client;
}

export interface IsolatedDatabase {
  url: string;
  /** Drops the database; end every pool and client on it first. */
  drop(): Promise<void>;
}

/**
 * A database of the calling file's own, copied from the run's migrated template: for tests whose
 * subject is the whole database (a worker claims every job and event in it, the lifecycle task
 * tiers every variant), so that other files running meanwhile neither disturb them nor are
 * disturbed. The run's teardown drops it too, should the file never get to.
 */
export async function createIsolatedDatabase(): Promise<IsolatedDatabase> {
  const { adminUrl, template, prefix } = inject('testDatabases');
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(adminUrl, name, template);
  return { url, drop: () => dropDatabases(adminUrl, [name]) };
}

/** A slug no other test (file, run) uses. */
export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/**
 * Runs `work` in a transaction as the request role, then rolls back (default) or commits. The
 * settings are transaction-local, as the server sets them. `setUp` runs first in the same
 * transaction as the pool's login (to change what the request will see, undone by the rollback).
 */
export async function asRequest<T>(
  pool: pg.Pool,
  settings: RequestSettings,
  work: (client: pg.PoolClient) => Promise<T>,
  { commit = false, setUp }: { commit?: boolean; setUp?: (client: pg.PoolClient) => Promise<void> } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await setUp?.(client);
    await client.query(
      `select set_config('role', $1, true), set_config('imgplane.org_id', $2, true),
              set_config('imgplane.tenant_id', $3, true), set_config('imgplane.api_key_id', $4, true),
              set_config('imgplane.scopes', $5, true)`,
      [
        settings.role,
        settings.organizationId ?? '',
        settings.tenantId ?? '',
        settings.apiKeyId ?? '',
        (settings.scopes ?? []).join(','),
      ],
    );
    const result = await work(client);
    await client.query(commit ? 'commit' : 'rollback');
    return result;
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

export type Outcome = { ok: true; rows: Record<string, unknown>[]; rowCount: number } | { ok: false; code: string };

/** Like asRequest for one statement, turning a database error into a value the test can assert on. */
export async function attempt(pool: pg.Pool, settings: RequestSettings, sql: string, params: unknown[] = []): Promise<Outcome> {
  try {
    return await asRequest(pool, settings, async (client) => {
      const result = await client.query<Record<string, unknown>>(sql, params);
      return { ok: true as const, rows: result.rows, rowCount: result.rowCount ?? 0 };
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string') throw error;
    return { ok: false, code };
  }
}

export const INSUFFICIENT_PRIVILEGE = '42501';
