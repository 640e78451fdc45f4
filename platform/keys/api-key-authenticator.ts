/**
 * API-key authentication. The secret is checked by `authenticate_api_key()` in Postgres (the only
 * place that may read key hashes); results are cached in-process for `ttlMs`, which bounds how long
 * a revoked key keeps working on other instances (revocations on this instance evict at once), and
 * never past the key's own expiry.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ONE_LOAD_PER_KEY } from '../../core/cache/one-load-per-key.ts';
import type pg from 'pg';
import { forbidden, unauthorized } from '../../core/errors.ts';
import type { Claims, DatabaseRole } from '../request-context.ts';

export type Scope = 'image:read' | 'image:write' | 'sign' | 'admin';

interface AuthenticateRow {
  api_key_id: string;
  organization_id: string | null;
  tenant_id: string | null;
  scopes: string[];
  role: DatabaseRole;
  expires_at: Date | null;
}

export class ApiKeyAuthenticator {
  /** Keyed by the secret's SHA-256; the secret itself travels as the load's context. */
  private readonly cache: LRUCache<string, Claims, string>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    // perf_hooks' clock would drift from `now` in tests that inject one: lru-cache uses it only for TTLs.
    this.cache = new LRUCache<string, Claims, string>({
      max: 10_000,
      ttl: Math.max(ttlMs, 1),
      ttlAutopurge: false,
      perf: { now },
      ...ONE_LOAD_PER_KEY,
      fetchMethod: (_key, _stale, { context, options }) => this.check(context, options),
    });
  }

  /** Claims for a presented secret; 401 when absent, unknown, revoked or expired. */
  async authenticate(secret: string | string[] | undefined): Promise<Claims> {
    if (typeof secret !== 'string' || secret.length === 0) throw unauthorized('an X-Api-Key header is required');
    if (secret.length > 256) throw unauthorized('API key is invalid, expired or revoked');
    const cacheKey = createHash('sha256').update(secret).digest('base64');
    const claims = await this.cache.fetch(cacheKey, { context: secret });
    // A refused key is not cached: undefined from the check leaves no entry.
    if (!claims) throw unauthorized('API key is invalid, expired or revoked');
    return claims;
  }

  private async check(secret: string, entry: { ttl?: number }): Promise<Claims | undefined> {
    const { rows } = await this.pool.query<AuthenticateRow>(
      'select api_key_id, organization_id, tenant_id, scopes, role, expires_at from imgplane.authenticate_api_key($1)',
      [secret],
    );
    const row = rows[0];
    if (!row) return undefined;
    // An expiring key is cached no longer than it lives.
    const msLeft = row.expires_at === null ? Infinity : row.expires_at.getTime() - this.now();
    entry.ttl = Math.max(1, Math.min(this.ttlMs, msLeft));
    return Object.freeze({
      role: row.role,
      organizationId: row.organization_id,
      tenantId: row.tenant_id,
      apiKeyId: row.api_key_id,
      scopes: Object.freeze([...row.scopes]),
    });
  }

  /** Drops every cached result so a revocation made on this instance applies to the next request. */
  forgetAll(): void {
    this.cache.clear();
  }
}

export function requireScope(claims: Claims, scope: Scope): void {
  if (!claims.scopes.includes(scope)) throw forbidden(`this API key lacks the "${scope}" scope`);
}
