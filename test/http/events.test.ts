/**
 * Per-organisation webhooks, CDN purge through the outbox and the invalidation API, end to end:
 * the real app and worker on a database of this file's own, receivers on local HTTP servers
 * (the operator allows private networks, as tests must).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { variantCacheKey } from '../../platform/delivery/cache-key.ts';
import { verifyWebhookSignature } from '../../platform/events/webhook-signature.ts';
import { WebhookEndpointAdmin } from '../../platform/events/webhook-endpoints.ts';
import { withClaims, type Claims } from '../../platform/request-context.ts';
import { startWorker, type WorkerHandle } from '../../worker/runner.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { upload } from '../support/http.ts';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/isolated-database.ts';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';

let database: IsolatedDatabase;
let app: TestApp;
let worker: WorkerHandle;
let receiver: RecordingServer;
let org: TestOrganization;
let admin: Claims;

beforeAll(async () => {
  database = await createIsolatedDatabase();
  receiver = await startRecordingServer();
  app = await startTestApp({ config: { databaseUrl: database.url, webhookAllowPrivateNetworks: true } });
  worker = await startWorker({
    platform: app.platform,
    config: { webhook: undefined, webhookRetry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 2_000 } },
  });
  org = await createOrganization(app.platform, 'events');
  admin = await app.platform.auth.authenticate(org.adminKey);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await app?.close();
  await receiver?.close();
  await database?.drop();
});

const jpeg = (background: string) => sharp({ create: { width: 64, height: 48, channels: 3, background } }).jpeg().toBuffer();

async function uploadAsset(): Promise<string> {
  const response = await upload(app.baseUrl, org.tenants[0].key, org.tenants[0].spaceId, await jpeg(`#${Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0')}`), { contentType: 'image/jpeg', filename: 'a.jpg' });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  event_id: string;
}

const deliveriesOf = (endpointId: string) =>
  withClaims(app.platform.pool, admin, async (client) => (await client.query<DeliveryRow>('select id, status, attempts, event_id from imgplane.webhook_deliveries where endpoint_id = $1 order by created_at', [endpointId])).rows);

describe('per-organisation webhooks', () => {
  it('refuses endpoint URLs on loopback or private addresses unless the operator allows them', async () => {
    const strict = new WebhookEndpointAdmin(app.platform.pool, app.platform.config.masterKey, { allowPrivateNetworks: false });
    for (const url of ['http://127.0.0.1:9/hook', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest', 'http://[::1]/x', 'http://localhost/x']) {
      await expect(strict.create(admin, { url })).rejects.toMatchObject({ code: 'bad_request' });
    }
  });

  it('delivers a signed asset.created with an idempotency key, and logs the attempt for the org admins only', async () => {
    receiver.answerWith(() => ({ status: 204 }));
    const { id: endpointId, secret } = await app.platform.webhooks.create(admin, { url: `${receiver.url}/ok`, eventTypes: ['asset.created'] });
    expect(secret).toMatch(/^whsec_/);
    const assetId = await uploadAsset();
    await vi.waitFor(async () => expect((await deliveriesOf(endpointId))[0]?.status).toBe('delivered'), { timeout: 10_000, interval: 50 });
    const call = receiver.requests.find((request) => request.path === '/ok' && JSON.parse(request.body).aggregateId === assetId)!;
    const body = JSON.parse(call.body);
    expect(body).toMatchObject({ type: 'asset.created', organizationId: org.id, aggregateId: assetId });
    expect(call.headers['x-imgplane-idempotency-key']).toBe(body.id);
    expect(verifyWebhookSignature(secret, String(call.headers['x-imgplane-signature']), call.body, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verifyWebhookSignature('whsec_wrong', String(call.headers['x-imgplane-signature']), call.body, Math.floor(Date.now() / 1000))).toBe(false);
    // only asset.created was asked for: the asset.updated of a tag edit is not delivered
    expect(receiver.requests.filter((request) => request.path === '/ok').every((request) => JSON.parse(request.body).type === 'asset.created')).toBe(true);
    // a tenant-scoped key sees no delivery log, even with SQL
    const tenantClaims = await app.platform.auth.authenticate(org.tenants[0].key);
    const seen = await withClaims(app.platform.pool, tenantClaims, (client) => client.query('select 1 from imgplane.webhook_deliveries'));
    expect(seen.rowCount).toBe(0);
  });

  it('retries with backoff, marks the delivery failed after the last attempt, and replays it on request', async () => {
    let healthy = false;
    receiver.answerWith((request) => (request.path === '/flaky' && !healthy ? { status: 503 } : { status: 200 }));
    const { id: endpointId } = await app.platform.webhooks.create(admin, { url: `${receiver.url}/flaky`, eventTypes: ['asset.*'] });
    await uploadAsset();
    await vi.waitFor(async () => expect((await deliveriesOf(endpointId))[0]?.status).toBe('failed'), { timeout: 10_000, interval: 50 });
    const [failed] = await deliveriesOf(endpointId);
    expect(failed!.attempts).toBe(3);
    const log = await withClaims(app.platform.pool, admin, async (client) =>
      (await client.query<{ attempt: number; status_code: number; succeeded: boolean; started_at: Date }>(
        'select attempt, status_code, succeeded, started_at from imgplane.webhook_delivery_attempts where delivery_id = $1 order by attempt',
        [failed!.id],
      )).rows,
    );
    expect(log.map((row) => [row.attempt, row.status_code, row.succeeded])).toEqual([[1, 503, false], [2, 503, false], [3, 503, false]]);
    // exponential backoff: each wait at least as long as the one before
    const gaps = log.slice(1).map((row, index) => row.started_at.getTime() - log[index]!.started_at.getTime());
    expect(gaps[0]).toBeGreaterThanOrEqual(20);
    expect(gaps[1]).toBeGreaterThanOrEqual(40);

    healthy = true;
    await app.platform.webhooks.replay(admin, failed!.id);
    await vi.waitFor(async () => expect((await deliveriesOf(endpointId))[0]).toMatchObject({ status: 'delivered', attempts: 4 }), { timeout: 10_000, interval: 50 });
    const sent = receiver.requests.filter((request) => request.path === '/flaky' && request.headers['x-imgplane-delivery'] === failed!.id);
    expect(new Set(sent.map((request) => request.headers['x-imgplane-idempotency-key']))).toEqual(new Set([failed!.event_id]));
  });
});

describe('CDN purge and the invalidation API', () => {
  // One purge target for the organisation, so that each test below sees the CDN called on its own.
  beforeAll(async () => {
    receiver.answerWith(() => ({ status: 200 }));
    await app.platform.purgeTargets.create(admin, { provider: 'http', settings: { url: `${receiver.url}/cdn` }, credentials: { secret: 'cdn-secret' } });
  });

  it('tags image responses with organisation, space and asset', async () => {
    const assetId = await uploadAsset();
    const tenant = org.tenants[0];
    const response = await fetch(`${app.baseUrl}/v1/pub/${org.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${assetId}/v1/original.jpg`);
    expect(response.status).toBe(200);
    const tags = [`imgp-org-${org.id}`, `imgp-space-${tenant.spaceId}`, `imgp-asset-${assetId}`];
    expect(response.headers.get('cache-tag')).toBe(tags.join(','));
    expect(response.headers.get('surrogate-key')).toBe(tags.join(' '));
    expect(response.headers.get('edge-cache-tag')).toBe(tags.join(','));
  });

  it('purges the CDN through the outbox when an asset is deleted', async () => {
    const assetId = await uploadAsset();
    const deleted = await fetch(`${app.baseUrl}/v1/assets/${assetId}`, { method: 'DELETE', headers: { 'x-api-key': org.tenants[0].key } });
    expect(deleted.status).toBe(204);
    await vi.waitFor(() => expect(receiver.requests.some((request) => request.path === '/cdn' && JSON.parse(request.body).tags.includes(`imgp-asset-${assetId}`))).toBe(true), { timeout: 10_000, interval: 50 });
  });

  it('drops variants from the caches (and storage when asked), audits it and purges the CDN', async () => {
    const assetId = await uploadAsset();
    const tenant = org.tenants[0];
    // A rendered variant in every layer: storage, the registry, Redis-less memory cache.
    const variantKey = 'ab'.repeat(32);
    const storageKey = `variants/${org.id}/${variantKey}.jpg`;
    const bytes = await jpeg('#123456');
    await app.platform.storage.put(storageKey, bytes, { contentType: 'image/jpeg' });
    await app.db.query(
      `select imgplane.register_variant($1, 1, $2, 'w_16', 'jpeg', $3, $4, $5, $6, 16, 12, 1)`,
      [assetId, variantKey, app.platform.storage.provider, storageKey, bytes.length, 'cd'.repeat(32)],
    );
    // under the organisation-scoped key the image route uses
    const cacheKey = variantCacheKey(org.id, variantKey);
    app.platform.memory.set(cacheKey, { body: bytes, contentType: 'image/jpeg', etag: '"x"' });

    const purge = (id: string, key: string, body?: unknown) =>
      fetch(`${app.baseUrl}/v1/assets/${id}/purge`, {
        method: 'POST',
        headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await purge('not-a-uuid', tenant.key)).status).toBe(400);
    expect((await purge(assetId, org.tenants[1].key)).status).toBe(404);
    const response = await purge(assetId, tenant.key, { storage: true });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ variants: 1, storageDeleted: 1, cdn: 'queued' });
    expect(app.platform.memory.get(cacheKey)).toBeUndefined();
    expect(await app.platform.storage.exists(storageKey)).toBe(false);
    const registered = await app.db.query('select 1 from imgplane.derived_assets where asset_id = $1', [assetId]);
    expect(registered.rowCount).toBe(0);

    const audit = await withClaims(app.platform.pool, admin, async (client) =>
      (await client.query('select action, actor_type from imgplane.audit_logs where resource_id = $1 and action = $2', [assetId, 'asset.purge'])).rows,
    );
    expect(audit).toEqual([{ action: 'asset.purge', actor_type: 'api_key' }]);
    await vi.waitFor(() => expect(receiver.requests.filter((request) => request.path === '/cdn' && JSON.parse(request.body).tags.includes(`imgp-asset-${assetId}`)).length).toBeGreaterThan(0), { timeout: 10_000, interval: 50 });
  });

  it('purges a whole space with POST /v1/spaces/{id}/purge: its variants, then the CDN by the space tag', async () => {
    const tenant = org.tenants[0];
    const assetId = await uploadAsset();
    const variantPath = `/v1/pub/${org.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${assetId}/v1/w_20.jpg`;
    expect((await fetch(`${app.baseUrl}${variantPath}`)).status).toBe(200);
    await vi.waitFor(async () => expect((await app.db.query('select 1 from imgplane.derived_assets where asset_id = $1', [assetId])).rowCount).toBe(1), { timeout: 10_000, interval: 50 });
    const purge = (spaceId: string, key: string) => fetch(`${app.baseUrl}/v1/spaces/${spaceId}/purge`, { method: 'POST', headers: { 'x-api-key': key } });
    expect((await purge('nope', tenant.key)).status).toBe(400);
    expect((await purge(tenant.spaceId, org.tenants[1].key)).status).toBe(404);
    const response = await purge(tenant.spaceId, tenant.key);
    expect(response.status).toBe(202);
    expect(((await response.json()) as { variants: number }).variants).toBeGreaterThanOrEqual(1);
    // the memory cache no longer answers: the next request renders again
    expect((await fetch(`${app.baseUrl}${variantPath}`)).headers.get('x-cache')).not.toBe('hit-memory');
    await vi.waitFor(() => expect(receiver.requests.some((request) => request.path === '/cdn' && JSON.parse(request.body).tags.includes(`imgp-space-${tenant.spaceId}`))).toBe(true), { timeout: 10_000, interval: 50 });
  });
});
