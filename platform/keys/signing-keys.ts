/**
 * Signing keys and signed URLs: rotation and revocation (through the SQL key functions), URL
 * signing for `POST /v1/sign`, and verification of `/v1/priv/` requests. Verification keys are
 * cached in-process for `keyCacheTtlMs` (the bound on how long a revocation made on another
 * instance takes to apply; revocations through this instance apply at once).
 */
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ONE_LOAD_PER_KEY } from '../../core/cache/one-load-per-key.ts';
import type pg from 'pg';
import { parseDeliveryPath, type DeliveryPath } from '../../core/delivery-path.ts';
import { openSecret, sealSecret } from '../../core/envelope.ts';
import { ImgplaneError, badRequest, forbidden, notFound, unauthorized } from '../../core/errors.ts';
import {
  isSigningKeyUsable,
  parseSignatureParams,
  signPath,
  signedUrl,
  verifyPathSignature,
  type SigningKeyStatus,
} from '../../core/signing.ts';
import { DEFAULT_POLICY } from '../../core/policy.ts';
import type { DeliveryCatalog } from '../delivery/catalog.ts';
import { WORKER, withClaims, type Claims } from '../request-context.ts';

export interface SigningServiceDeps {
  pool: pg.Pool;
  masterKey: Buffer | undefined;
  hostBinding: boolean;
  catalog: DeliveryCatalog;
  nowSeconds: () => number;
  keyCacheTtlMs: number;
}

interface VerificationKey {
  organizationId: string;
  tenantId: string | null;
  status: SigningKeyStatus;
  graceUntil: number | null;
  secret: Buffer;
}

export interface SignedPath {
  path: string;
  url: string;
  expiresAt: number;
  ttlSeconds: number;
  /** True when the requested TTL exceeded the policy's maximum and was cut to it. */
  clamped: boolean;
}

export interface RotatedKey {
  kid: string;
  organizationId: string;
  tenantId: string | null;
  createdAt: string;
}

const MISSING = Symbol('missing');

/** What verification reads of a `/v1/priv/` request: its query string and, with host binding, its Host. */
export interface SignedRequest {
  query: unknown;
  headers: { host?: string | undefined };
}

/** Verifies `?exp=&kid=&sig=` of a private URL; answers the claims the signing key grants. */
export interface SignedUrlVerifier {
  /** `secondsLeft` is measured on the verifier's clock, so Cache-Control agrees with the expiry check. */
  verify(request: SignedRequest, pathname: string, path: DeliveryPath): Promise<{ claims: Claims; secondsLeft: number }>;
}

export class SigningService implements SignedUrlVerifier {
  private readonly keys: LRUCache<string, VerificationKey | typeof MISSING>;

  constructor(private readonly deps: SigningServiceDeps) {
    this.keys = new LRUCache({
      max: 10_000,
      ttl: Math.max(deps.keyCacheTtlMs, 1),
      ...ONE_LOAD_PER_KEY,
      fetchMethod: async (kid) => (await this.loadVerificationKey(kid)) ?? MISSING,
    });
  }

  async verify(request: SignedRequest, pathname: string, path: DeliveryPath): Promise<{ claims: Claims; secondsLeft: number }> {
    const params = parseSignatureParams(request.query as Record<string, unknown>);
    const key = await this.verificationKey(params.kid);
    if (!key) throw unauthorized('unknown signing key');
    // Same order as the edge validator (deploy/edge/worker.js), so both answer alike: retired key,
    // then signature, then scope (a genuine signature of another org/tenant: 403), then expiry.
    const now = this.deps.nowSeconds();
    if (!isSigningKeyUsable(key, now)) throw unauthorized(`signing key is ${key.status === 'revoked' ? 'revoked' : 'past its grace period'}`);
    const verdict = verifyPathSignature({
      secret: key.secret,
      path: pathname,
      exp: params.exp,
      tenantScope: key.tenantId ?? '',
      host: this.hostOf(request),
      sig: params.sig,
      now,
    });
    if (verdict === 'bad_signature') throw unauthorized('signature does not match this URL');
    const space = await this.deps.catalog.space(path.org, path.tenant, path.space).catch(() => undefined);
    if (!space || space.organizationId !== key.organizationId || (key.tenantId !== null && key.tenantId !== space.tenantId)) {
      throw forbidden('this signing key may not sign URLs of this tenant');
    }
    if (verdict === 'expired') throw unauthorized('signed URL has expired');
    return {
      claims: {
        role: 'imgplane_tenant',
        organizationId: key.organizationId,
        tenantId: key.tenantId,
        apiKeyId: null,
        scopes: ['image:read'],
      },
      secondsLeft: params.exp - now,
    };
  }

  /** Signs private image paths for a caller holding the `sign` scope of their organisation/tenant. */
  async sign(claims: Claims, paths: readonly string[], requestedTtl: number | undefined, baseUrl: string): Promise<SignedPath[]> {
    const signed: SignedPath[] = [];
    for (const raw of paths) signed.push(await this.signOne(claims, raw, requestedTtl, baseUrl));
    return signed;
  }

  async rotate(claims: Claims, organizationId: string, tenantId: string | null): Promise<RotatedKey> {
    const masterKey = this.requireMasterKey();
    const kid = `sk_${randomBytes(12).toString('base64url')}`;
    const envelope = sealSecret(masterKey, randomBytes(32));
    const row = await withClaims(this.deps.pool, claims, async (client) => {
      const grace = await client.query<{ seconds: number }>(
        `select coalesce((
           select (p.value #>> '{}')::integer from imgplane.policies p
            where p.organization_id = $1 and p.space_id is null and p.key = 'signing_key_grace_seconds'
              and (p.tenant_id is null or p.tenant_id = $2)
            order by p.tenant_id nulls last limit 1), $3) as seconds`,
        [organizationId, tenantId, DEFAULT_POLICY.signing_key_grace_seconds],
      );
      const result = await client.query(
        'select kid, organization_id, tenant_id, created_at from imgplane.rotate_signing_key($1, $2, $3, $4, $5)',
        [organizationId, tenantId, kid, envelope, grace.rows[0]!.seconds],
      );
      return result.rows[0];
    }).catch((error: unknown) => {
      const code = (error as { code?: string }).code;
      if (code === '42501') throw forbidden('this API key may not manage signing keys here');
      // The (organization, tenant) foreign key: a tenant of another organisation, or none at all.
      if (code === '23503') throw notFound(`no tenant ${tenantId} in organization ${organizationId}`);
      throw error;
    });
    this.keys.clear();
    return { kid: row.kid, organizationId: row.organization_id, tenantId: row.tenant_id, createdAt: row.created_at.toISOString() };
  }

  async revoke(claims: Claims, kid: string): Promise<boolean> {
    const revoked = await withClaims(this.deps.pool, claims, async (client) => {
      const result = await client.query<{ revoked: boolean }>('select imgplane.revoke_signing_key($1) as revoked', [kid]);
      return result.rows[0]?.revoked === true;
    });
    this.keys.delete(kid);
    return revoked;
  }

  /** Drops every cached verification key, so a rotation or revocation made elsewhere applies at once. */
  forgetKeys(): void {
    this.keys.clear();
  }

  private async signOne(claims: Claims, raw: string, requestedTtl: number | undefined, baseUrl: string): Promise<SignedPath> {
    if (typeof raw !== 'string') throw badRequest('each path must be a string');
    const pathname = toPathname(raw);
    // Checked before parsing so any other path is a 400 naming the rule, not a "no route" 404.
    if (!pathname.startsWith('/v1/priv/')) throw badRequest(`only /v1/priv/ paths are signed: ${pathname}`, { path: pathname });
    const path = parseDeliveryPath(pathname);
    const space = await this.deps.catalog.space(path.org, path.tenant, path.space);
    if (space.organizationId !== claims.organizationId || (claims.tenantId !== null && claims.tenantId !== space.tenantId)) {
      throw forbidden(`this API key may not sign URLs of ${path.org}/${path.tenant}`);
    }
    const key = await this.activeKey(space.organizationId, space.tenantId);
    const policy = space.policy;
    const wanted = requestedTtl ?? policy.signed_url_ttl_default_seconds;
    if (!Number.isInteger(wanted) || wanted < 1) throw badRequest('ttlSeconds must be a positive integer');
    const ttlSeconds = Math.min(wanted, policy.signed_url_ttl_max_seconds);
    const expiresAt = this.deps.nowSeconds() + ttlSeconds;
    const sig = signPath({
      secret: key.secret,
      path: pathname,
      exp: expiresAt,
      tenantScope: key.tenantId ?? '',
      host: this.deps.hostBinding ? new URL(baseUrl).host : undefined,
    });
    return {
      path: pathname,
      url: `${baseUrl}${signedUrl(pathname, { exp: expiresAt, kid: key.kid, sig })}`,
      expiresAt,
      ttlSeconds,
      clamped: ttlSeconds < wanted,
    };
  }

  private async activeKey(organizationId: string, tenantId: string): Promise<{ kid: string; tenantId: string | null; secret: Buffer }> {
    const masterKey = this.requireMasterKey();
    const row = await withClaims(this.deps.pool, WORKER, async (client) => {
      const result = await client.query<{ kid: string; tenant_id: string | null; secret_ciphertext: string }>(
        'select kid, tenant_id, secret_ciphertext from imgplane.active_signing_key($1, $2)',
        [organizationId, tenantId],
      );
      return result.rows[0];
    });
    if (!row) {
      throw new ImgplaneError('bad_request', 'this organisation has no active signing key: rotate one first', {
        detail: { hint: 'POST /v1/signing-keys/rotate with an admin key' },
      });
    }
    return { kid: row.kid, tenantId: row.tenant_id, secret: openSecret(masterKey, row.secret_ciphertext) };
  }

  private async verificationKey(kid: string): Promise<VerificationKey | undefined> {
    const key = await this.keys.fetch(kid);
    return key === MISSING ? undefined : key;
  }

  private async loadVerificationKey(kid: string): Promise<VerificationKey | undefined> {
    if (!this.deps.masterKey) return undefined;
    const row = await withClaims(this.deps.pool, WORKER, async (client) => {
      const result = await client.query<{
        organization_id: string;
        tenant_id: string | null;
        status: SigningKeyStatus;
        grace_until: Date | null;
        secret_ciphertext: string;
      }>('select organization_id, tenant_id, status, grace_until, secret_ciphertext from imgplane.signing_key_secret($1)', [kid]);
      return result.rows[0];
    });
    if (!row) return undefined;
    return {
      organizationId: row.organization_id,
      tenantId: row.tenant_id,
      status: row.status,
      graceUntil: row.grace_until === null ? null : Math.floor(row.grace_until.getTime() / 1000),
      secret: openSecret(this.deps.masterKey, row.secret_ciphertext),
    };
  }

  private hostOf(request: SignedRequest): string | undefined {
    return this.deps.hostBinding ? request.headers.host : undefined;
  }

  private requireMasterKey(): Buffer {
    if (!this.deps.masterKey) {
      throw new ImgplaneError('unavailable', 'URL signing is not configured on this server (IMGPLANE_MASTER_KEY)');
    }
    return this.deps.masterKey;
  }
}

/** Accepts a bare path or a full URL (only its path is signed; any query is dropped). */
function toPathname(raw: string): string {
  if (raw.startsWith('/')) return raw.split('?')[0] as string;
  try {
    return new URL(raw).pathname;
  } catch {
    throw badRequest(`not a path or URL: ${raw.slice(0, 200)}`);
  }
}
