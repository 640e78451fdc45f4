/**
 * The first platform operator key of an installation (`imgplane bootstrap`). Only the database
 * can make it: nobody holds a key yet that could ask the API. It is made once; a second call is
 * refused unless it rotates, which revokes every active operator key in the same transaction, so
 * exactly one works afterwards. The secret is returned once and only its hash is stored.
 */
import type pg from 'pg';
import { ImgplaneError } from '../../core/errors.ts';
import { generateApiKeySecret, type IssuedApiKey } from './api-keys.ts';
import type { Scope } from './api-key-authenticator.ts';
import { withClaims, type Claims } from '../request-context.ts';

const OPERATOR: Claims = Object.freeze({
  role: 'imgplane_admin',
  organizationId: null,
  tenantId: null,
  apiKeyId: null,
  scopes: [],
});

const OPERATOR_SCOPES: readonly Scope[] = ['admin', 'image:read', 'image:write', 'sign'];

export interface BootstrapResult extends IssuedApiKey {
  /** Operator keys revoked by a rotation (0 on the first bootstrap). */
  revoked: number;
}

// Two bootstraps at once must not both see "no key yet".
const BOOTSTRAP_LOCK = "select pg_advisory_xact_lock(hashtext('imgplane.bootstrap_operator_key'))";

export async function bootstrapOperatorKey(pool: pg.Pool, options: { rotate: boolean; name?: string }): Promise<BootstrapResult> {
  const { keyId, secret, secretHash } = generateApiKeySecret();
  return withClaims(pool, OPERATOR, async (client) => {
    await client.query(BOOTSTRAP_LOCK);
    const active = await client.query<{ key_id: string }>(
      `select key_id from imgplane.api_keys where organization_id is null and status = 'active' order by created_at`,
    );
    if (active.rows.length > 0 && !options.rotate) {
      throw new ImgplaneError(
        'forbidden',
        `this database already has a platform operator key (${active.rows.map((row) => row.key_id).join(', ')}); ` +
          'use it, or run `imgplane bootstrap --rotate` to revoke it and make a new one',
      );
    }
    const revoked = await client.query(
      `update imgplane.api_keys set status = 'revoked', revoked_at = now() where organization_id is null and status = 'active'`,
    );
    const created = await client.query<{ id: string }>('select imgplane.create_api_key(null, null, $1, $2, $3, $4, null) as id', [
      keyId,
      options.name ?? 'platform operator (imgplane bootstrap)',
      secretHash,
      OPERATOR_SCOPES,
    ]);
    return { id: created.rows[0]!.id, keyId, secret, revoked: revoked.rowCount ?? 0 };
  });
}
