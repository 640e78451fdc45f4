/**
 * Webhooks, CDN purge targets and the invalidation API over GraphQL, under RLS: the secret is in
 * createWebhookEndpoint's answer only, credentials are never readable, the delivery log is the
 * organisation admins' alone, and another organisation's admin sees and changes nothing.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { upload } from '../support/http.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';
import { graphql, graphqlData } from './client.ts';

let server: TestApp;
let org: TestOrganization;
let other: TestOrganization;

beforeAll(async () => {
  // the receiver URLs are on 127.0.0.1: the operator allows private networks, as tests must
  server = await startTestApp({ config: { webhookAllowPrivateNetworks: true } });
  org = await createOrganization(server.platform, 'gqlev');
  other = await createOrganization(server.platform, 'gqlevx');
}, 60_000);
afterAll(() => server?.close());

interface Endpoint {
  rowId: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
}

const ENDPOINT_FIELDS = 'rowId url eventTypes enabled';

async function createEndpoint(url = 'http://127.0.0.1:9/hook'): Promise<{ secret: string; webhookEndpoint: Endpoint }> {
  const data = await graphqlData<{ createWebhookEndpoint: { secret: string; webhookEndpoint: Endpoint } }>(
    server.baseUrl,
    `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret webhookEndpoint { ${ENDPOINT_FIELDS} } } }`,
    { input: { url, eventTypes: ['asset.*'] } },
    org.adminKey,
  );
  return data.createWebhookEndpoint;
}

const listEndpoints = async (apiKey: string) =>
  (await graphql<{ allWebhookEndpoints: { nodes: Endpoint[] } }>(server.baseUrl, `{ allWebhookEndpoints(first: 100) { nodes { ${ENDPOINT_FIELDS} } } }`, {}, apiKey));

/** The error code of a mutation that must have failed. */
async function refusal(query: string, input: Record<string, unknown>, apiKey: string): Promise<string | undefined> {
  const response = await graphql(server.baseUrl, query, { input }, apiKey);
  expect(response.errors, JSON.stringify(response.data)).toBeDefined();
  return response.errors![0]!.extensions?.code;
}

describe('webhook endpoints over GraphQL', () => {
  it('shows the secret once, lists endpoints without it, and keeps them from other organisations', async () => {
    const created = await createEndpoint();
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.webhookEndpoint).toMatchObject({ url: 'http://127.0.0.1:9/hook', eventTypes: ['asset.*'], enabled: true });
    const listed = await listEndpoints(org.adminKey);
    expect(listed.data!.allWebhookEndpoints.nodes.map((endpoint) => endpoint.rowId)).toContain(created.webhookEndpoint.rowId);
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    // no field can ask for it
    const asked = await graphql(server.baseUrl, '{ allWebhookEndpoints(first: 100) { nodes { secretCiphertext } } }', {}, org.adminKey);
    expect(asked.errors?.[0]?.message).toMatch(/secretCiphertext/);
    // another organisation's admin and a tenant-scoped key see nothing
    expect((await listEndpoints(other.adminKey)).data!.allWebhookEndpoints.nodes).toEqual([]);
    expect((await listEndpoints(org.tenants[0].key)).data!.allWebhookEndpoints.nodes).toEqual([]);
  });

  it('disables, re-enables and deletes an endpoint; another organisation can do none of it', async () => {
    const { webhookEndpoint } = await createEndpoint();
    const UPDATE = `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { webhookEndpoint { ${ENDPOINT_FIELDS} } } }`;
    const DELETE = 'mutation($input: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { deletedRowId } }';
    expect(await refusal(UPDATE, { rowId: webhookEndpoint.rowId, enabled: false }, other.adminKey)).toBe('not_found');
    expect(await refusal(DELETE, { rowId: webhookEndpoint.rowId }, other.adminKey)).toBe('not_found');
    expect(await refusal(UPDATE, { rowId: webhookEndpoint.rowId, eventTypes: ['not a type'] }, org.adminKey)).toBe('bad_request');

    const disabled = await graphqlData<{ updateWebhookEndpoint: { webhookEndpoint: Endpoint } }>(server.baseUrl, UPDATE, { input: { rowId: webhookEndpoint.rowId, enabled: false } }, org.adminKey);
    expect(disabled.updateWebhookEndpoint.webhookEndpoint).toMatchObject({ enabled: false, url: webhookEndpoint.url });
    const enabled = await graphqlData<{ updateWebhookEndpoint: { webhookEndpoint: Endpoint } }>(server.baseUrl, UPDATE, { input: { rowId: webhookEndpoint.rowId, enabled: true } }, org.adminKey);
    expect(enabled.updateWebhookEndpoint.webhookEndpoint.enabled).toBe(true);

    const deleted = await graphqlData<{ deleteWebhookEndpoint: { deletedRowId: string } }>(server.baseUrl, DELETE, { input: { rowId: webhookEndpoint.rowId } }, org.adminKey);
    expect(deleted.deleteWebhookEndpoint.deletedRowId).toBe(webhookEndpoint.rowId);
    expect((await listEndpoints(org.adminKey)).data!.allWebhookEndpoints.nodes.map((endpoint) => endpoint.rowId)).not.toContain(webhookEndpoint.rowId);
    expect(await refusal(DELETE, { rowId: webhookEndpoint.rowId }, org.adminKey)).toBe('not_found');
  });

  it('shows the delivery log to the organisation admins only, and replays a delivery', async () => {
    const { webhookEndpoint } = await createEndpoint();
    // A failed delivery with one logged attempt, as the worker writes them (ground truth, no RLS).
    const { rows } = await server.db.query<{ id: string }>(
      `insert into imgplane.webhook_deliveries (organization_id, endpoint_id, event_id, event_type, body, status, attempts)
       values ($1, $2, 1, 'asset.created', '{}', 'failed', 1) returning id`,
      [org.id, webhookEndpoint.rowId],
    );
    const deliveryId = rows[0]!.id;
    await server.db.query(
      `insert into imgplane.webhook_delivery_attempts (organization_id, delivery_id, attempt, duration_ms, status_code, succeeded) values ($1, $2, 1, 12, 503, false)`,
      [org.id, deliveryId],
    );
    const LOG = `query($endpoint: UUID!) { allWebhookDeliveries(first: 100, condition: { endpointId: $endpoint }) {
      nodes { rowId status eventType attemptLog(first: 100) { nodes { attempt statusCode succeeded } } } } }`;
    type Log = { allWebhookDeliveries: { nodes: { rowId: string; status: string; attemptLog: { nodes: unknown[] } }[] } };
    const seen = await graphqlData<Log>(server.baseUrl, LOG, { endpoint: webhookEndpoint.rowId }, org.adminKey);
    expect(seen.allWebhookDeliveries.nodes).toEqual([
      { rowId: deliveryId, status: 'failed', eventType: 'asset.created', attemptLog: { nodes: [{ attempt: 1, statusCode: 503, succeeded: false }] } },
    ]);
    for (const outsider of [other.adminKey, org.tenants[0].key]) {
      expect((await graphqlData<Log>(server.baseUrl, LOG, { endpoint: webhookEndpoint.rowId }, outsider)).allWebhookDeliveries.nodes).toEqual([]);
      const attempts = await graphqlData<{ allWebhookDeliveryAttempts: { nodes: unknown[] } }>(server.baseUrl, '{ allWebhookDeliveryAttempts(first: 100) { nodes { rowId } } }', {}, outsider);
      expect(attempts.allWebhookDeliveryAttempts.nodes).toEqual([]);
    }

    const REPLAY = 'mutation($input: ReplayWebhookDeliveryInput!) { replayWebhookDelivery(input: $input) { webhookDelivery { rowId status } } }';
    expect(await refusal(REPLAY, { rowId: deliveryId }, other.adminKey)).toBe('not_found');
    const replayed = await graphqlData<{ replayWebhookDelivery: { webhookDelivery: { rowId: string; status: string } } }>(server.baseUrl, REPLAY, { input: { rowId: deliveryId } }, org.adminKey);
    // pending again (the worker's next attempt to the closed port keeps it pending: attempts remain)
    expect(replayed.replayWebhookDelivery.webhookDelivery).toEqual({ rowId: deliveryId, status: 'pending' });
  });
});

describe('CDN purge targets over GraphQL', () => {
  it('stores credentials write-only, and keeps targets from other organisations', async () => {
    const CREATE = `mutation($input: CreateCdnPurgeTargetInput!) { createCdnPurgeTarget(input: $input) { cdnPurgeTarget { rowId provider settings spaceId } } }`;
    const created = await graphqlData<{ createCdnPurgeTarget: { cdnPurgeTarget: { rowId: string; provider: string; settings: unknown; spaceId: string | null } } }>(
      server.baseUrl,
      CREATE,
      { input: { provider: 'http', spaceId: org.tenants[0].spaceId, settings: { url: 'http://127.0.0.1:9/purge' }, credentials: { secret: 'cdn-credential-1' } } },
      org.adminKey,
    );
    const target = created.createCdnPurgeTarget.cdnPurgeTarget;
    expect(target).toMatchObject({ provider: 'http', settings: { url: 'http://127.0.0.1:9/purge' }, spaceId: org.tenants[0].spaceId });
    expect(await refusal(CREATE, { provider: 'nocdn', settings: {}, credentials: {} }, org.adminKey)).toBe('bad_request');

    const LIST = '{ allCdnPurgeTargets(first: 100) { nodes { rowId provider settings description enabled } } }';
    const listed = await graphql<{ allCdnPurgeTargets: { nodes: { rowId: string }[] } }>(server.baseUrl, LIST, {}, org.adminKey);
    expect(listed.data!.allCdnPurgeTargets.nodes.map((row) => row.rowId)).toContain(target.rowId);
    expect(JSON.stringify(listed)).not.toContain('cdn-credential-1');
    expect((await graphqlData<{ allCdnPurgeTargets: { nodes: unknown[] } }>(server.baseUrl, LIST, {}, other.adminKey)).allCdnPurgeTargets.nodes).toEqual([]);

    const SET = 'mutation($input: SetCdnPurgeTargetCredentialsInput!) { setCdnPurgeTargetCredentials(input: $input) { cdnPurgeTarget { rowId } } }';
    const DELETE = 'mutation($input: DeleteCdnPurgeTargetInput!) { deleteCdnPurgeTarget(input: $input) { deletedRowId } }';
    expect(await refusal(SET, { rowId: target.rowId, credentials: { secret: 'x' } }, other.adminKey)).toBe('not_found');
    expect(await refusal(DELETE, { rowId: target.rowId }, other.adminKey)).toBe('not_found');
    const replaced = await graphqlData<{ setCdnPurgeTargetCredentials: { cdnPurgeTarget: { rowId: string } } }>(server.baseUrl, SET, { input: { rowId: target.rowId, credentials: { secret: 'cdn-credential-2' } } }, org.adminKey);
    expect(replaced.setCdnPurgeTargetCredentials.cdnPurgeTarget.rowId).toBe(target.rowId);
    const stored = await server.db.query<{ secret_ciphertext: string }>('select secret_ciphertext from imgplane.cdn_purge_targets where id = $1', [target.rowId]);
    expect(stored.rows[0]!.secret_ciphertext).not.toContain('cdn-credential');
    const deleted = await graphqlData<{ deleteCdnPurgeTarget: { deletedRowId: string } }>(server.baseUrl, DELETE, { input: { rowId: target.rowId } }, org.adminKey);
    expect(deleted.deleteCdnPurgeTarget.deletedRowId).toBe(target.rowId);
  });
});

describe('purgeAsset and purgeSpace', () => {
  it('purge the caller\'s asset and space, audited; another organisation gets not_found', async () => {
    const tenant = org.tenants[0];
    const bytes = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#336699' } }).png().toBuffer();
    const uploaded = await upload(server.baseUrl, tenant.key, tenant.spaceId, bytes, { filename: 'p.png' });
    expect(uploaded.status).toBe(201);
    const assetId = ((await uploaded.json()) as { id: string }).id;
    // one rendered variant, so the purge has something to drop
    const variant = await fetch(`${server.baseUrl}/v1/pub/${org.slug}/${tenant.slug}/${tenant.spaceSlug}/img/${assetId}/v1/w_16.png`);
    expect(variant.status).toBe(200);
    // registered after the answer (write-behind)
    await vi.waitFor(async () => expect((await server.db.query('select 1 from imgplane.derived_assets where asset_id = $1', [assetId])).rowCount).toBe(1), { timeout: 10_000, interval: 50 });

    const PURGE_ASSET = 'mutation($input: PurgeAssetInput!) { purgeAsset(input: $input) { variants storageDeleted sharedCacheCleared cdn } }';
    const PURGE_SPACE = 'mutation($input: PurgeSpaceInput!) { purgeSpace(input: $input) { variants storageDeleted sharedCacheCleared cdn } }';
    expect(await refusal(PURGE_ASSET, { assetId }, other.adminKey)).toBe('not_found');
    expect(await refusal(PURGE_SPACE, { spaceId: tenant.spaceId }, other.adminKey)).toBe('not_found');

    const purged = await graphqlData<{ purgeAsset: { variants: number; storageDeleted: number; cdn: string } }>(server.baseUrl, PURGE_ASSET, { input: { assetId, storage: true } }, tenant.key);
    expect(purged.purgeAsset).toMatchObject({ variants: 1, storageDeleted: 1, cdn: 'queued' });
    const space = await graphqlData<{ purgeSpace: { variants: number; storageDeleted: number } }>(server.baseUrl, PURGE_SPACE, { input: { spaceId: tenant.spaceId } }, tenant.key);
    // the asset's variant is gone from storage and the registry already
    expect(space.purgeSpace).toMatchObject({ variants: 0, storageDeleted: 0 });
    const audit = await server.db.query<{ action: string }>(
      `select action from imgplane.audit_logs where resource_id in ($1, $2) and action in ('asset.purge', 'space.purge') order by id`,
      [assetId, tenant.spaceId],
    );
    expect(audit.rows.map((row) => row.action)).toEqual(['asset.purge', 'space.purge']);
  });
});
