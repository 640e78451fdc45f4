/**
 * API key issuance. The secret is `imgp_live_<keyId>_<64 hex>`: the prefix makes a leaked key
 * recognisable to secret scanners, the key id finds its record without scanning, and only the
 * SHA-256 of the whole secret is stored (through `create_api_key()`, which checks the caller).
 */
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { forbidden } from '../../core/errors.ts';
import type { Scope } from './api-key-authenticator.ts';
import { withClaims, type Claims } from '../request-context.ts';

const API_KEY_PREFIX = 'imgp_live_';

export interface NewApiKey {
  organizationId: string | null;
  tenantId: string | null;
  name: string;
  scopes: readonly Scope[];
  expiresAt?: Date | null;
}

export interface IssuedApiKey {
  id: string;
  keyId: string;
  /** Shown once; never stored. */
  secret: string;
}

export function generateApiKeySecret(): { keyId: string; secret: string; secretHash: string } {
  const keyId = randomBytes(8).toString('hex');
  const secret = `${API_KEY_PREFIX}${keyId}_${randomBytes(32).toString('hex')}`;
  return { keyId, secret, secretHash: createHash('sha256').update(secret).digest('hex') };
}

/** Issues a key as `claims` (which must administer the target organisation/tenant). */
export async function issueApiKey(pool: pg.Pool, claims: Claims, key: NewApiKey): Promise<IssuedApiKey> {
  const { keyId, secret, secretHash } = generateApiKeySecret();
  const id = await withClaims(pool, claims, async (client) => {
    const result = await client.query<{ id: string }>(
      'select imgplane.create_api_key($1, $2, $3, $4, $5, $6, $7) as id',
      [key.organizationId, key.tenantId, keyId, key.name, secretHash, key.scopes, key.expiresAt ?? null],
    );
    return result.rows[0]!.id;
  }).catch((error: unknown) => {
    throw (error as { code?: string }).code === '42501' ? forbidden('this API key may not create keys here') : error;
  });
  return { id, keyId, secret };
}
