/**
 * API key creation (the secret is returned once, only its hash is stored) and revocation, as the
 * caller. Both need the `admin` scope, like the HTTP key routes; create_api_key() in SQL checks
 * the caller's reach again, and RLS limits which keys a revocation can touch.
 */
import type pg from 'pg';
import { badRequest, notFound } from '../../core/errors.ts';
import { issueApiKey, type IssuedApiKey } from './api-keys.ts';
import { requireScope, type ApiKeyAuthenticator, type Scope } from './api-key-authenticator.ts';
import { withClaims, type Claims } from '../request-context.ts';

const API_KEY_SCOPES = ['image:read', 'image:write', 'sign', 'admin'] as const satisfies readonly Scope[];

export interface CreateApiKeyInput {
  /** Default: the caller's organization (required for platform keys, which have none). */
  organizationId?: string | null;
  /** Default: the caller's tenant; an organization-wide caller gets an organization-wide key. */
  tenantId?: string | null;
  name: string;
  scopes: readonly string[];
  expiresAt?: string | null;
}

function isScope(value: string): value is Scope {
  return (API_KEY_SCOPES as readonly string[]).includes(value);
}

function validScopes(scopes: readonly string[]): Scope[] {
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0) {
    throw badRequest(`unknown scope ${unknown.map((scope) => `"${scope}"`).join(', ')}`, { unknown, known: API_KEY_SCOPES });
  }
  if (scopes.length === 0) throw badRequest('a key needs at least one scope', { known: API_KEY_SCOPES });
  return [...new Set(scopes as Scope[])];
}

function validExpiry(expiresAt: string | null | undefined, now: Date): Date | null {
  if (expiresAt == null) return null;
  const expiry = new Date(expiresAt);
  if (Number.isNaN(expiry.getTime())) throw badRequest(`expiresAt is not a date: ${expiresAt}`);
  if (expiry <= now) throw badRequest('expiresAt must be in the future');
  return expiry;
}

export async function createApiKey(pool: pg.Pool, claims: Claims, input: CreateApiKeyInput): Promise<IssuedApiKey> {
  requireScope(claims, 'admin');
  const name = input.name.trim();
  if (name.length === 0) throw badRequest('name must not be empty');
  const organizationId = input.organizationId ?? claims.organizationId;
  return issueApiKey(pool, claims, {
    organizationId,
    // A platform key creating a key for an organization names the tenant explicitly, or none.
    tenantId: input.tenantId ?? (organizationId === claims.organizationId ? claims.tenantId : null),
    name,
    scopes: validScopes(input.scopes),
    expiresAt: validExpiry(input.expiresAt, new Date()),
  });
}

/**
 * Revokes a key the caller may manage and forgets cached authentications on this instance, so
 * the key fails here at once and on other instances within their auth cache TTL.
 */
export async function revokeApiKey(pool: pg.Pool, auth: ApiKeyAuthenticator, claims: Claims, id: string): Promise<void> {
  requireScope(claims, 'admin');
  const revoked = await withClaims(pool, claims, (client) =>
    client.query(
      `update imgplane.api_keys set status = 'revoked', revoked_at = coalesce(revoked_at, now()) where id = $1`,
      [id],
    ),
  );
  // Keys of other organizations and tenants are invisible to RLS: the same answer as a missing key.
  if ((revoked.rowCount ?? 0) === 0) throw notFound(`no API key ${id}`);
  auth.forgetAll();
}
