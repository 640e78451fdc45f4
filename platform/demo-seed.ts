/**
 * The zero-config demo: an organisation `demo` with tenant `website` and space `marketing`, an
 * admin API key, an upload key for the demo page (GET /), a signing key, a few presets, one
 * public and one private generated picture, so `npm start` prints URLs that work.
 * Idempotent: later starts reuse what exists (the demo keys' secrets are kept in the data folder,
 * for this local demo only, so they can be printed again).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { issueApiKey } from './keys/api-keys.ts';
import type { AssetView } from './assets/asset-service.ts';
import type { Platform } from './platform.ts';
import { withClaims, type Claims } from './request-context.ts';

const PLATFORM_ADMIN: Claims = Object.freeze({
  role: 'imgplane_admin',
  organizationId: null,
  tenantId: null,
  apiKeyId: null,
  scopes: [],
});

export interface DemoSeed {
  /** Admin key (every scope), printed at start. */
  apiKey: string;
  /** `image:read` + `image:write` on the demo tenant only: what the demo page uploads with. */
  uploadKey: string;
  organizationId: string;
  spaceId: string;
  asset: AssetView;
  privateAsset: AssetView;
}

interface SavedDemo {
  apiKey: string;
  uploadKey: string;
  assetId: string;
  privateAssetId: string;
}

/** Presets the demo page shows side by side (organisation scope). */
const DEMO_PRESETS: readonly { name: string; description: string; operations: Record<string, unknown> }[] = [
  { name: 'thumb', description: 'Square 200px thumbnail', operations: { w: 200, h: 200, f: 'cover', g: 'attention' } },
  { name: 'card', description: '4:3 card image', operations: { w: 320, h: 240, f: 'cover' } },
  { name: 'banner', description: 'Wide banner, softened', operations: { w: 480, h: 160, f: 'cover', blur: 1.5 } },
  { name: 'mono', description: 'Black and white 200px', operations: { w: 200, bw: true } },
];

export interface DemoSeedOptions {
  /** Default `demo`; tests pass their own so they never share an organisation. */
  orgSlug?: string;
}

export async function seedDemo(platform: Platform, baseUrl: string, options: DemoSeedOptions = {}): Promise<DemoSeed> {
  const orgSlug = options.orgSlug ?? 'demo';
  const savedPath = path.join(platform.config.dataDir, `${orgSlug}.json`);
  const ids = await withClaims(platform.pool, PLATFORM_ADMIN, async (client) => {
    const org = await client.query<{ id: string }>(
      `insert into imgplane.organizations (slug, name) values ($1, 'Demo organisation')
       on conflict (slug) do update set name = excluded.name returning id`,
      [orgSlug],
    );
    const organizationId = org.rows[0]!.id;
    const tenant = await client.query<{ id: string }>(
      `insert into imgplane.tenants (organization_id, slug, name) values ($1, 'website', 'Website')
       on conflict (organization_id, slug) do update set name = excluded.name returning id`,
      [organizationId],
    );
    const tenantId = tenant.rows[0]!.id;
    const space = await client.query<{ id: string }>(
      `insert into imgplane.spaces (organization_id, tenant_id, slug, name) values ($1, $2, 'marketing', 'Marketing')
       on conflict (tenant_id, slug) do update set name = excluded.name returning id`,
      [organizationId, tenantId],
    );
    for (const preset of DEMO_PRESETS) {
      await client.query(
        `insert into imgplane.presets (organization_id, name, description, operations)
         values ($1, $2, $3, $4) on conflict do nothing`,
        [organizationId, preset.name, preset.description, preset.operations],
      );
    }
    return { organizationId, tenantId, spaceId: space.rows[0]!.id };
  });

  const saved = await readFile(savedPath, 'utf8').then((text) => JSON.parse(text) as Partial<SavedDemo>, () => undefined);
  const reused = saved && (await reuseSaved(platform, saved, baseUrl));
  if (reused) return { ...reused, organizationId: ids.organizationId, spaceId: ids.spaceId };

  const key = await issueApiKey(platform.pool, PLATFORM_ADMIN, {
    organizationId: ids.organizationId,
    tenantId: null,
    name: 'demo admin key',
    scopes: ['image:read', 'image:write', 'sign', 'admin'],
  });
  const uploadKey = await issueApiKey(platform.pool, PLATFORM_ADMIN, {
    organizationId: ids.organizationId,
    tenantId: ids.tenantId,
    name: 'demo page upload key',
    scopes: ['image:read', 'image:write'],
  });
  const claims = await platform.auth.authenticate(key.secret);
  await platform.signing.rotate(claims, ids.organizationId, null);
  const asset = await uploadDemoPicture(baseUrl, ids.spaceId, key.secret, { access: 'public', colours: ['#f6d365', '#fda085'] });
  const privateAsset = await uploadDemoPicture(baseUrl, ids.spaceId, key.secret, { access: 'private', colours: ['#84fab0', '#8fd3f4'] });
  const record: SavedDemo = { apiKey: key.secret, uploadKey: uploadKey.secret, assetId: asset.id, privateAssetId: privateAsset.id };
  await writeFile(savedPath, JSON.stringify(record), { mode: 0o600 });
  return { apiKey: key.secret, uploadKey: uploadKey.secret, organizationId: ids.organizationId, spaceId: ids.spaceId, asset, privateAsset };
}

/** The saved demo, if its keys still work and its pictures still exist. */
async function reuseSaved(
  platform: Platform,
  saved: Partial<SavedDemo>,
  baseUrl: string,
): Promise<Omit<DemoSeed, 'organizationId' | 'spaceId'> | undefined> {
  const { apiKey, uploadKey, assetId, privateAssetId } = saved;
  if (!apiKey || !uploadKey || !assetId || !privateAssetId) return undefined;
  const claims = await platform.auth.authenticate(apiKey).catch(() => undefined);
  const uploadClaims = await platform.auth.authenticate(uploadKey).catch(() => undefined);
  if (!claims || !uploadClaims) return undefined;
  const asset = await platform.assets.view(claims, assetId, baseUrl).catch(() => undefined);
  const privateAsset = await platform.assets.view(claims, privateAssetId, baseUrl).catch(() => undefined);
  return asset && privateAsset ? { apiKey, uploadKey, asset, privateAsset } : undefined;
}

interface DemoPicture {
  access: 'public' | 'private';
  /** The two stops of the disc's gradient: different pictures, so the uploads do not deduplicate. */
  colours: [string, string];
}

/** Uploads through the real HTTP route, so the demo exercises the same path users take. */
async function uploadDemoPicture(baseUrl: string, spaceId: string, apiKey: string, picture: DemoPicture): Promise<AssetView> {
  const bytes = await sharp({
    create: { width: 1600, height: 1000, channels: 3, background: { r: 32, g: 96, b: 160 } },
  })
    .composite([
      {
        input: Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1000">
             <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
               <stop offset="0" stop-color="${picture.colours[0]}"/><stop offset="1" stop-color="${picture.colours[1]}"/></linearGradient></defs>
             <circle cx="800" cy="500" r="380" fill="url(#g)"/>
             <rect x="120" y="120" width="300" height="300" rx="40" fill="#ffffff" opacity="0.7"/>
           </svg>`,
        ),
      },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), `demo-${picture.access}.jpg`);
  form.append('tags', 'demo');
  form.append('access', picture.access);
  const response = await fetch(`${baseUrl}/v1/spaces/${spaceId}/assets`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey },
    body: form,
  });
  if (!response.ok) throw new Error(`demo upload failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as AssetView;
}
