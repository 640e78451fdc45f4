/**
 * The zero-config demo: an organisation `demo` with tenant `website` and space `marketing`, an
 * admin API key, a signing key and one generated picture, so `npm start` prints URLs that work.
 * Idempotent: later starts reuse what exists (the demo key's secret is kept in the data folder,
 * for this local demo only, so it can be printed again).
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
  apiKey: string;
  organizationId: string;
  spaceId: string;
  asset: AssetView;
}

interface SavedDemo {
  apiKey: string;
  assetId: string;
}

export async function seedDemo(platform: Platform, baseUrl: string): Promise<DemoSeed> {
  const savedPath = path.join(platform.config.dataDir, 'demo.json');
  const ids = await withClaims(platform.pool, PLATFORM_ADMIN, async (client) => {
    const org = await client.query<{ id: string }>(
      `insert into imgplane.organizations (slug, name) values ('demo', 'Demo organisation')
       on conflict (slug) do update set name = excluded.name returning id`,
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
    await client.query(
      `insert into imgplane.presets (organization_id, name, description, operations)
       values ($1, 'thumb', 'Square 200px thumbnail', '{"w":200,"h":200,"f":"cover","g":"attention"}')
       on conflict do nothing`,
      [organizationId],
    );
    return { organizationId, tenantId, spaceId: space.rows[0]!.id };
  });

  const saved = await readFile(savedPath, 'utf8').then((text) => JSON.parse(text) as SavedDemo, () => undefined);
  if (saved) {
    const claims = await platform.auth.authenticate(saved.apiKey).catch(() => undefined);
    const asset = claims && (await platform.assets.view(claims, saved.assetId, baseUrl).catch(() => undefined));
    if (asset) return { apiKey: saved.apiKey, organizationId: ids.organizationId, spaceId: ids.spaceId, asset };
  }

  const key = await issueApiKey(platform.pool, PLATFORM_ADMIN, {
    organizationId: ids.organizationId,
    tenantId: null,
    name: 'demo admin key',
    scopes: ['image:read', 'image:write', 'sign', 'admin'],
  });
  const claims = await platform.auth.authenticate(key.secret);
  await platform.signing.rotate(claims, ids.organizationId, null);
  const asset = await uploadDemoPicture(baseUrl, ids.spaceId, key.secret);
  await writeFile(savedPath, JSON.stringify({ apiKey: key.secret, assetId: asset.id } satisfies SavedDemo), { mode: 0o600 });
  return { apiKey: key.secret, organizationId: ids.organizationId, spaceId: ids.spaceId, asset };
}

/** Uploads through the real HTTP route, so the demo exercises the same path users take. */
async function uploadDemoPicture(baseUrl: string, spaceId: string, apiKey: string): Promise<AssetView> {
  const picture = await sharp({
    create: { width: 1600, height: 1000, channels: 3, background: { r: 32, g: 96, b: 160 } },
  })
    .composite([
      {
        input: Buffer.from(
          `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1000">
             <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
               <stop offset="0" stop-color="#f6d365"/><stop offset="1" stop-color="#fda085"/></linearGradient></defs>
             <circle cx="800" cy="500" r="380" fill="url(#g)"/>
             <rect x="120" y="120" width="300" height="300" rx="40" fill="#ffffff" opacity="0.7"/>
           </svg>`,
        ),
      },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(picture)], { type: 'image/jpeg' }), 'demo.jpg');
  form.append('tags', 'demo');
  const response = await fetch(`${baseUrl}/v1/spaces/${spaceId}/assets`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey },
    body: form,
  });
  if (!response.ok) throw new Error(`demo upload failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as AssetView;
}
