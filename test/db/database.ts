/**
 * Database access for the SQL tests: a pool on the database the global setup prepared, and
 * transactions run as a request role exactly the way the server sets one up.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

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

export function createPool(max = 4): pg.Pool {
  return new pg.Pool({ connectionString: databaseUrl(), max });
}

/** A slug no other test (file, run) uses. */
export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/**
 * Runs `work` in a transaction as the request role, then rolls back (default) or commits. The
 * settings are transaction-local, as the server sets them.
 */
export async function asRequest<T>(
  pool: pg.Pool,
  settings: RequestSettings,
  work: (client: pg.PoolClient) => Promise<T>,
  { commit = false }: { commit?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
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
