/**
 * Helpers shared by the key, signed-URL and RLS integration tests: private uploads, POST /v1/sign,
 * JSON error checks and direct (superuser) reads of signing-key rows, which no request role may do.
 */
import { expect } from 'vitest';
import { openSecret } from '../../core/envelope.ts';
import type { TestApp } from '../support/app.ts';
import { corpusFile, upload } from '../support/http.ts';
import type { TestTenant } from '../support/tenancy.ts';

export interface UploadedAsset {
  id: string;
  version: number;
  access: 'public' | 'private';
  urls: { original: string; example: string };
}

export interface SignedPathResponse {
  path: string;
  url: string;
  expiresAt: number;
  ttlSeconds: number;
  clamped: boolean;
}

export interface SigningKeyRow {
  kid: string;
  organizationId: string;
  tenantId: string | null;
  status: 'active' | 'deprecated' | 'revoked';
  deprecatedAt: Date | null;
  graceUntil: Date | null;
  secretCiphertext: string;
}

/** Uploads a corpus file into the tenant's space as a private asset (201 expected). */
export async function uploadPrivate(baseUrl: string, tenant: TestTenant, file = 'concert.jpg'): Promise<UploadedAsset> {
  const response = await upload(baseUrl, tenant.key, tenant.spaceId, await corpusFile(file), { access: 'private', filename: file });
  expect(response.status).toBe(201);
  return (await response.json()) as UploadedAsset;
}

/** The delivery path of an asset with other ops and extension, e.g. `w_120.jpg`. */
export function variantPath(asset: UploadedAsset, file: string): string {
  return new URL(asset.urls.original).pathname.replace(/original\.[a-z]+$/, file);
}

export function postSign(baseUrl: string, apiKey: string, body: unknown): Promise<Response> {
  return fetch(`${baseUrl}/v1/sign`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Signs one path through the API and answers the signed entry (200 expected). */
export async function signOne(baseUrl: string, apiKey: string, path: string, ttlSeconds?: number): Promise<SignedPathResponse> {
  const response = await postSign(baseUrl, apiKey, { path, ttlSeconds });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { urls: SignedPathResponse[] };
  return body.urls[0] as SignedPathResponse;
}

/** Asserts the CONVENTIONS error body and answers its message. */
export async function expectJsonError(response: Response, status: number, message?: RegExp): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { error: string; message: string };
  expect(typeof body.error).toBe('string');
  if (message) expect(body.message).toMatch(message);
  return body.message;
}

/** A signing-key row as stored, read as the database owner (request roles may not see the secret). */
export async function signingKeyRow(server: TestApp, kid: string): Promise<SigningKeyRow> {
  const { rows } = await server.db.query(
    `select kid, organization_id, tenant_id, status, deprecated_at, grace_until, secret_ciphertext
       from imgplane.signing_keys where kid = $1`,
    [kid],
  );
  const row = rows[0];
  if (!row) throw new Error(`no signing key ${kid}`);
  return {
    kid: row.kid,
    organizationId: row.organization_id,
    tenantId: row.tenant_id,
    status: row.status,
    deprecatedAt: row.deprecated_at,
    graceUntil: row.grace_until,
    secretCiphertext: row.secret_ciphertext,
  };
}

/** The kid that currently signs for an organisation (tenantId null) or a tenant's own key. */
export async function activeKid(server: TestApp, organizationId: string, tenantId: string | null = null): Promise<string> {
  const { rows } = await server.db.query<{ kid: string }>(
    `select kid from imgplane.signing_keys
      where organization_id = $1 and tenant_id is not distinct from $2 and status = 'active'`,
    [organizationId, tenantId],
  );
  if (!rows[0]) throw new Error(`no active signing key for ${organizationId}/${tenantId ?? '*'}`);
  return rows[0].kid;
}

/** The decrypted HMAC secret of a key, opened with this test app's master key. */
export async function signingSecret(server: TestApp, kid: string): Promise<Buffer> {
  const row = await signingKeyRow(server, kid);
  return openSecret(server.platform.config.masterKey as Buffer, row.secretCiphertext);
}

/** Path and query of a URL, as a request line carries them. */
export function pathAndQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/** A server clock the test can stop and move (unix seconds); it follows real time until set. */
export function controllableClock() {
  let fixed: number | undefined;
  return {
    nowSeconds: (): number => fixed ?? Math.floor(Date.now() / 1000),
    set(seconds: number): void {
      fixed = seconds;
    },
    reset(): void {
      fixed = undefined;
    },
  };
}
