/**
 * Every query a request makes runs as a Postgres role with the caller's organisation and tenant
 * in transaction-local settings, so row-level security decides what it may see. This module is
 * the one place that turns claims into those settings (PostGraphile uses `pgSettingsFor` too).
 */
import type pg from 'pg';
import { inTransaction } from '../core/pg-transaction.ts';

export type DatabaseRole = 'imgplane_admin' | 'imgplane_tenant' | 'imgplane_worker' | 'imgplane_analyst' | 'imgplane_anonymous';

export interface Claims {
  role: DatabaseRole;
  organizationId: string | null;
  tenantId: string | null;
  apiKeyId: string | null;
  scopes: readonly string[];
}

export const ANONYMOUS: Claims = Object.freeze({
  role: 'imgplane_anonymous',
  organizationId: null,
  tenantId: null,
  apiKeyId: null,
  scopes: [],
});

export const WORKER: Claims = Object.freeze({
  role: 'imgplane_worker',
  organizationId: null,
  tenantId: null,
  apiKeyId: null,
  scopes: [],
});

/** Transaction-local settings for claims: `role` plus the `imgplane.*` values RLS policies read. */
export function pgSettingsFor(claims: Claims): Record<string, string> {
  return {
    role: claims.role,
    'imgplane.org_id': claims.organizationId ?? '',
    'imgplane.tenant_id': claims.tenantId ?? '',
    'imgplane.api_key_id': claims.apiKeyId ?? '',
    'imgplane.scopes': claims.scopes.join(','),
  };
}

const APPLY_SETTINGS = `select set_config('role', $1, true), set_config('imgplane.org_id', $2, true),
  set_config('imgplane.tenant_id', $3, true), set_config('imgplane.api_key_id', $4, true),
  set_config('imgplane.scopes', $5, true)`;

/** Runs `work` in one transaction as the claims' role; commits on success, rolls back on error. */
export async function withClaims<T>(pool: pg.Pool, claims: Claims, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, async () => {
      const settings = pgSettingsFor(claims);
      await client.query(APPLY_SETTINGS, [
        settings.role,
        settings['imgplane.org_id'],
        settings['imgplane.tenant_id'],
        settings['imgplane.api_key_id'],
        settings['imgplane.scopes'],
      ]);
      return work(client);
    });
  } finally {
    client.release();
  }
}
