/**
 * What the demo page (GET / outside production) is told about the seeded demo: the sample
 * picture, the presets its space sees, a freshly signed URL of the private picture, and the upload
 * key the page's upload box uses. The page builds every other URL itself with @imgplane/url.
 */
import { parseDeliveryPath } from '../core/delivery-path.ts';
import type { DemoSeed } from './demo-seed.ts';
import type { Platform } from './platform.ts';

/** Short on purpose: the page asks for a new one on every load. */
export const DEMO_SIGNED_TTL_SECONDS = 300;

export interface DemoSession {
  spaceId: string;
  /** An imgplane URL of the public sample (its original); the page derives variants from it. */
  sample: { url: string; width: number; height: number };
  /** Preset names and operations visible in the demo space, nearest scope first resolved. */
  presets: { name: string; operations: unknown }[];
  privateImage: { url: string; expiresAt: number };
  /** Scopes image:read and image:write on the demo tenant only. */
  uploadKey: string;
}

export async function demoSession(platform: Platform, seed: DemoSeed, baseUrl: string): Promise<DemoSession> {
  // Rebased on this request's base URL: the seed's URLs name the address it was made through.
  const samplePath = new URL(seed.asset.urls.original).pathname;
  const sample = parseDeliveryPath(samplePath);
  const space = await platform.catalog.space(sample.org, sample.tenant, sample.space);
  const claims = await platform.auth.authenticate(seed.apiKey);
  const privatePath = `/v1/priv/${sample.org}/${sample.tenant}/${sample.space}/img/${seed.privateAsset.id}/v${seed.privateAsset.version}/w_480-fmt_auto.jpg`;
  const [signed] = await platform.signing.sign(claims, [privatePath], DEMO_SIGNED_TTL_SECONDS, baseUrl);
  return {
    spaceId: seed.spaceId,
    sample: { url: `${baseUrl}${samplePath}`, width: seed.asset.width, height: seed.asset.height },
    presets: Object.entries(space.presets)
      .map(([name, operations]) => ({ name, operations }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    privateImage: { url: signed!.url, expiresAt: signed!.expiresAt },
    uploadKey: seed.uploadKey,
  };
}
