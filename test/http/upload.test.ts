/**
 * Upload API against the running server: create, dedupe, versions, delete, tenancy and scopes,
 * aborted streams, and every rejection class (413, 415, 422) with nothing left behind.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AssetView } from '../../platform/assets/asset-service.ts';
import { issueApiKey } from '../../platform/keys/api-keys.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { corpusFile, responseBytes, upload } from '../support/http.ts';
import { createOrganization, PLATFORM_ADMIN, setPolicy, type TestOrganization } from '../support/tenancy.ts';
import { expectError, flatPicture, imageUrl, listFiles, uploadAsset } from './delivery-fixtures.ts';

// Uploads stream to os.tmpdir()/imgplane-uploads. A private TMPDIR for this file (set before the
// server modules load) lets the aborted-upload test see exactly this server's temp files.
const PRIVATE_TMPDIR = await vi.hoisted(async () => {
  const { mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'imgplane-upload-test-'));
  process.env.TMPDIR = dir;
  return dir;
});

// The server module computes its upload folder from tmpdir() when it loads: if the override did
// not take, stop here rather than watch (and later remove) the machine's shared temp folder.
if (tmpdir() !== PRIVATE_TMPDIR) throw new Error(`TMPDIR override did not apply: tmpdir() is ${tmpdir()}`);
const UPLOAD_DIR = path.join(PRIVATE_TMPDIR, 'imgplane-uploads');

let server: TestApp;
let org: TestOrganization;
let storageDir: string;

beforeAll(async () => {
  server = await startTestApp();
  org = await createOrganization(server.platform, 'upload');
  const storage = server.platform.config.storage;
  if (storage.kind !== 'local') throw new Error('upload tests inspect a local storage folder');
  storageDir = storage.dir;
});
afterAll(async () => {
  await server?.close();
  // Only the folder this file made, never whatever tmpdir() answers by then.
  await rm(PRIVATE_TMPDIR, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function assetRowCount(spaceId: string): Promise<number> {
  const { rows } = await server.db.query<{ count: string }>(
    'select count(*) from imgplane.assets where space_id = $1',
    [spaceId],
  );
  return Number(rows[0]!.count);
}

async function storedObjectsNamed(contentHash: string): Promise<string[]> {
  return (await listFiles(storageDir)).filter((file) => file.includes(contentHash));
}

async function outboxEvents(assetId: string): Promise<string[]> {
  const { rows } = await server.db.query<{ event_type: string }>(
    'select event_type from imgplane.events where organization_id = $1 and aggregate_id = $2 order by id',
    [org.id, assetId],
  );
  return rows.map((row) => row.event_type);
}

async function auditActions(assetId: string): Promise<string[]> {
  const { rows } = await server.db.query<{ action: string }>(
    'select action from imgplane.audit_logs where organization_id = $1 and resource_id = $2 order by id',
    [org.id, assetId],
  );
  return rows.map((row) => row.action);
}

const assetApi = (assetId: string, apiKey: string, method = 'GET') =>
  fetch(`${server.baseUrl}/v1/assets/${assetId}`, { method, headers: { 'x-api-key': apiKey } });

describe('upload', () => {
  it('creates an asset with 201, its JSON and ready-made URLs that deliver', async () => {
    const tenant = org.tenants[0];
    const picture = await flatPicture(320, 200, '#118833');
    const response = await upload(server.baseUrl, tenant.key, tenant.spaceId, picture, {
      filename: 'green.jpg',
      contentType: 'image/jpeg',
      tags: 'summer,green',
      folder: '/campaigns/',
    });
    expect(response.status).toBe(201);
    const asset = (await response.json()) as AssetView;
    expect(asset).toMatchObject({
      spaceId: tenant.spaceId,
      version: 1,
      access: 'public',
      format: 'jpeg',
      width: 320,
      height: 200,
      frames: 1,
      hasAlpha: false,
      sizeBytes: picture.length,
      contentHash: sha256(picture),
      originalFilename: 'green.jpg',
      folder: '/campaigns/',
    });
    expect(asset.tags.sort()).toEqual(['green', 'summer']);
    const original = await fetch(asset.urls.original);
    expect(original.status).toBe(200);
    expect((await responseBytes(original)).equals(picture)).toBe(true);
    expect((await fetch(asset.urls.example)).status).toBe(200);
  });

  it('answers 200 with the existing asset when the same bytes arrive again', async () => {
    const tenant = org.tenants[0];
    const picture = await flatPicture(100, 80, '#aa2200');
    const first = await upload(server.baseUrl, tenant.key, tenant.spaceId, picture);
    const second = await upload(server.baseUrl, tenant.key, tenant.spaceId, picture);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(((await second.json()) as AssetView).id).toBe(((await first.json()) as AssetView).id);
  });

  it('adds version 2 with PUT while the v1 URL keeps serving the v1 bytes', async () => {
    const tenant = org.tenants[0];
    const v1Bytes = await flatPicture(120, 90, '#334455');
    const v2Bytes = await flatPicture(150, 100, '#556677');
    const v1 = await uploadAsset(server.baseUrl, tenant, v1Bytes);
    const response = await upload(server.baseUrl, tenant.key, tenant.spaceId, v2Bytes, {}, 'PUT', v1.id);
    expect(response.status).toBe(201);
    const v2 = (await response.json()) as AssetView;
    expect(v2).toMatchObject({ id: v1.id, version: 2, width: 150, contentHash: sha256(v2Bytes) });

    const address = { baseUrl: server.baseUrl, org, tenant };
    const oldOriginal = await fetch(imageUrl({ ...address, asset: v1 }, 'original.jpg'));
    expect((await responseBytes(oldOriginal)).equals(v1Bytes)).toBe(true);
    const newOriginal = await fetch(imageUrl({ ...address, asset: v2 }, 'original.jpg'));
    expect((await responseBytes(newOriginal)).equals(v2Bytes)).toBe(true);
    expect(await outboxEvents(v1.id)).toEqual(['asset.created', 'asset.updated']);
  });

  it('soft-deletes with 204; the image and the asset API then answer 404', async () => {
    const tenant = org.tenants[0];
    const asset = await uploadAsset(server.baseUrl, tenant, await flatPicture(90, 60, '#987654'));
    const url = imageUrl({ baseUrl: server.baseUrl, org, tenant, asset }, 'w_40.png');
    expect((await fetch(url)).status).toBe(200);

    expect((await assetApi(asset.id, tenant.key, 'DELETE')).status).toBe(204);
    await expectError(await fetch(url), 404);
    await expectError(await fetch(asset.urls.original), 404);
    await expectError(await assetApi(asset.id, tenant.key), 404);
    await expectError(await assetApi(asset.id, tenant.key, 'DELETE'), 404);
    expect((await outboxEvents(asset.id)).at(-1)).toBe('asset.deleted');
  });

  it('writes the asset.created event and the audit row with the asset', async () => {
    const asset = await uploadAsset(server.baseUrl, org.tenants[0], await flatPicture(64, 48, '#123123'));
    expect(await outboxEvents(asset.id)).toEqual(['asset.created']);
    expect(await auditActions(asset.id)).toContain('asset.insert');
  });
});

describe('upload authorisation', () => {
  it("refuses tenant B's key on tenant A's space and writes nothing", async () => {
    const [tenantA, tenantB] = org.tenants;
    const picture = await flatPicture(70, 70, '#00ffee');
    const before = await assetRowCount(tenantA.spaceId);
    const response = await upload(server.baseUrl, tenantB.key, tenantA.spaceId, picture);
    expect([403, 404]).toContain(response.status);
    expect(await assetRowCount(tenantA.spaceId)).toBe(before);
    expect(await storedObjectsNamed(sha256(picture))).toEqual([]);
  });

  it("lets tenant B's key neither version nor delete nor read tenant A's asset", async () => {
    const [tenantA, tenantB] = org.tenants;
    const asset = await uploadAsset(server.baseUrl, tenantA, await flatPicture(50, 50, '#ab12cd'));
    const intruding = await flatPicture(50, 50, '#cd12ab');
    const put = await upload(server.baseUrl, tenantB.key, tenantA.spaceId, intruding, {}, 'PUT', asset.id);
    expect([403, 404]).toContain(put.status);
    expect([403, 404]).toContain((await assetApi(asset.id, tenantB.key, 'DELETE')).status);
    expect([403, 404]).toContain((await assetApi(asset.id, tenantB.key)).status);
    const stillThere = (await (await assetApi(asset.id, tenantA.key)).json()) as AssetView;
    expect(stillThere).toMatchObject({ version: 1, contentHash: asset.contentHash });
    expect(await storedObjectsNamed(sha256(intruding))).toEqual([]);
  });

  it('refuses a key without the image:write scope with 403', async () => {
    const tenant = org.tenants[0];
    const readOnly = await issueApiKey(server.platform.pool, PLATFORM_ADMIN, {
      organizationId: org.id,
      tenantId: tenant.id,
      name: 'read only',
      scopes: ['image:read'],
    });
    const body = await expectError(await upload(server.baseUrl, readOnly.secret, tenant.spaceId, await flatPicture(30, 30, '#010101')), 403);
    expect(body.message).toContain('image:write');
  });

  it('refuses a request without a key with 401', async () => {
    const response = await fetch(`${server.baseUrl}/v1/spaces/${org.tenants[0].spaceId}/assets`, { method: 'POST' });
    await expectError(response, 401);
  });
});

/** Sends the headers and the first part of a multipart upload, waits for the server to start writing it, then drops the socket. */
async function abortUploadMidway(spaceId: string, apiKey: string, file: Buffer): Promise<void> {
  const boundary = 'imgplane-abort-boundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const { port } = new URL(server.baseUrl);
  const request = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: `/v1/spaces/${spaceId}/assets`,
    headers: {
      'x-api-key': apiKey,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + file.length + tail.length,
    },
  });
  request.on('error', () => {}); // the socket is destroyed on purpose
  request.write(Buffer.concat([head, file.subarray(0, file.length / 2)]));
  await pollUntil(async () => (await listFiles(UPLOAD_DIR)).length > 0);
  request.destroy();
}

async function pollUntil(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('failed uploads leave nothing behind', () => {
  it('leaves no asset row, temp file or stored object when the multipart stream is aborted', async () => {
    const tenant = org.tenants[1];
    const objectsBefore = await listFiles(storageDir);
    const rowsBefore = await assetRowCount(tenant.spaceId);
    await abortUploadMidway(tenant.spaceId, tenant.key, await corpusFile('2569067123_aca715a2ee_o.jpg'));
    await pollUntil(async () => (await listFiles(UPLOAD_DIR)).length === 0);
    expect(await assetRowCount(tenant.spaceId)).toBe(rowsBefore);
    expect(await listFiles(storageDir)).toEqual(objectsBefore);
    // The server is still healthy for the next upload.
    expect((await upload(server.baseUrl, tenant.key, tenant.spaceId, await flatPicture(40, 40, '#456456'))).status).toBe(201);
  });

  it('answers 422 for a truncated JPEG and stores neither a row nor an object', async () => {
    const tenant = org.tenants[1];
    const truncated = await corpusFile('truncated.jpg');
    const rowsBefore = await assetRowCount(tenant.spaceId);
    await expectError(await upload(server.baseUrl, tenant.key, tenant.spaceId, truncated, { contentType: 'image/jpeg' }), 422);
    expect(await assetRowCount(tenant.spaceId)).toBe(rowsBefore);
    expect(await storedObjectsNamed(sha256(truncated))).toEqual([]);
    expect(await listFiles(UPLOAD_DIR)).toEqual([]);
  });

  it('answers 415 for a text file', async () => {
    const text = Buffer.from('just some words, not an image\n'.repeat(20));
    const body = await expectError(
      await upload(server.baseUrl, org.tenants[1].key, org.tenants[1].spaceId, text, { filename: 'notes.txt', contentType: 'text/plain' }),
      415,
    );
    expect(body.error).toBe('unsupported_media_type');
  });
});

describe('upload limits from the space policy', () => {
  let policyOrg: TestOrganization;
  beforeAll(async () => {
    policyOrg = await createOrganization(server.platform, 'upload-policy');
  });

  it("answers 413 naming the limit for a file over the space's max_upload_bytes", async () => {
    const tenant = policyOrg.tenants[0];
    await setPolicy(server.platform, { organizationId: policyOrg.id, tenantId: tenant.id, spaceId: tenant.spaceId }, 'max_upload_bytes', 2_000);
    const picture = await corpusFile('320x240.jpg');
    const body = await expectError(await upload(server.baseUrl, tenant.key, tenant.spaceId, picture), 413);
    expect(body.message).toContain('2000');
    expect(await assetRowCount(tenant.spaceId)).toBe(0);
    expect(await storedObjectsNamed(sha256(picture))).toEqual([]);
  });

  it('refuses SVG with 415 by default and accepts it where allow_svg is true', async () => {
    const tenant = policyOrg.tenants[1];
    const svg = await corpusFile('circle.svg');
    const refused = await expectError(await upload(server.baseUrl, tenant.key, tenant.spaceId, svg, { filename: 'circle.svg', contentType: 'image/svg+xml' }), 415);
    expect(refused.message.toLowerCase()).toContain('svg');

    // allow_svg is a limit: only the organisation may turn it on (its other tenant keeps it off)
    await setPolicy(server.platform, { organizationId: policyOrg.id }, 'allow_svg', true);
    await setPolicy(server.platform, { organizationId: policyOrg.id, tenantId: policyOrg.tenants[0].id }, 'allow_svg', false);
    const accepted = await uploadAsset(server.baseUrl, tenant, svg, { filename: 'circle.svg', contentType: 'image/svg+xml' });
    expect(accepted.format).toBe('svg');
    const raster = await fetch(imageUrl({ baseUrl: server.baseUrl, org: policyOrg, tenant, asset: accepted }, 'w_50.png'));
    expect(raster.status).toBe(200);
    expect(raster.headers.get('content-type')).toBe('image/png');
  });
});
