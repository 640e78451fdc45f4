import { describe, expect, it } from 'vitest';
import { parseOps, planVariant } from '../../core/ops/index.ts';
import { DEFAULT_POLICY } from '../../core/policy.ts';
import { ANONYMOUS, type Claims } from '../request-context.ts';
import type { AssetVersion, SpaceContext } from './catalog.ts';
import { ResolutionCache, type Resolution } from './resolutions.ts';

const space: SpaceContext = { organizationId: 'o', tenantId: 't', spaceId: 's', policy: DEFAULT_POLICY, presets: {} };
const assetNamed = (assetId: string): AssetVersion => ({
  assetId,
  organizationId: 'o',
  tenantId: 't',
  spaceId: 's',
  access: 'public',
  version: 1,
  contentHash: 'h',
  storageKey: 'k',
  format: 'jpeg',
  mimeType: 'image/jpeg',
  hasAlpha: false,
  frames: 1,
  width: 800,
  height: 600,
  sizeBytes: 1,
});

function resolution(assetId: string, ops: string, accept?: string): Resolution {
  const asset = assetNamed(assetId);
  const plan = planVariant({ parsed: parseOps(ops), presets: {}, extension: 'jpg', accept, policy: DEFAULT_POLICY, source: asset });
  const path = { access: 'pub', org: 'org', tenant: 'web', space: 'media', assetId, version: 1, ops, extension: 'jpg' } as unknown as Resolution['path'];
  return { path, space, asset, plan, variantKey: `${assetId}:${plan.ops.format}`, cacheKey: `o:${assetId}:${plan.ops.format}`, standIn: () => undefined, assetHeaders: {} };
}

const TENANT: Claims = { role: 'imgplane_tenant', organizationId: 'o', tenantId: 't', apiKeyId: null, scopes: [] };
const HOUR = 3_600_000;

describe('ResolutionCache', () => {
  it('answers a URL resolved before, whatever the headers when the plan reads none', () => {
    const cache = new ResolutionCache();
    const resolved = resolution('a', 'w_100');
    cache.set('/p/a/w_100.jpg', ANONYMOUS, {}, resolved, HOUR);
    expect(cache.get('/p/a/w_100.jpg', ANONYMOUS, { accept: 'image/avif' })).toBe(resolved);
    expect(cache.get('/p/a/w_200.jpg', ANONYMOUS, {})).toBeUndefined();
  });

  it('keeps fmt_auto resolutions apart per Accept', () => {
    const cache = new ResolutionCache();
    const avif = resolution('a', 'fmt_auto', 'image/avif');
    cache.set('/p/a/fmt_auto.jpg', ANONYMOUS, { accept: 'image/avif' }, avif, HOUR);
    expect(cache.get('/p/a/fmt_auto.jpg', ANONYMOUS, { accept: 'image/avif' })).toBe(avif);
    expect(cache.get('/p/a/fmt_auto.jpg', ANONYMOUS, { accept: 'image/webp' })).toBeUndefined();
    expect(cache.get('/p/a/fmt_auto.jpg', ANONYMOUS, {})).toBeUndefined();
  });

  it('keeps client-hint resolutions apart per hint value', () => {
    const cache = new ResolutionCache();
    const wide = resolution('a', 'ch-w_auto');
    cache.set('/p/a/ch-w_auto.jpg', ANONYMOUS, { 'sec-ch-width': '500' }, wide, HOUR);
    expect(cache.get('/p/a/ch-w_auto.jpg', ANONYMOUS, { 'sec-ch-width': '500' })).toBe(wide);
    expect(cache.get('/p/a/ch-w_auto.jpg', ANONYMOUS, { 'sec-ch-width': '300' })).toBeUndefined();
  });

  it('never answers one identity what another resolved', () => {
    const cache = new ResolutionCache();
    cache.set('/p/a/w_100.jpg', TENANT, {}, resolution('a', 'w_100'), HOUR);
    expect(cache.get('/p/a/w_100.jpg', ANONYMOUS, {})).toBeUndefined();
    expect(cache.get('/p/a/w_100.jpg', { ...TENANT, tenantId: 'other' }, {})).toBeUndefined();
    expect(cache.get('/p/a/w_100.jpg', TENANT, {})).toBeDefined();
  });

  it('forgets one asset’s resolutions, and all of them on clear', () => {
    const cache = new ResolutionCache();
    cache.set('/p/a/w_100.jpg', ANONYMOUS, {}, resolution('a', 'w_100'), HOUR);
    cache.set('/p/a/fmt_auto.jpg', ANONYMOUS, { accept: 'image/webp' }, resolution('a', 'fmt_auto', 'image/webp'), HOUR);
    cache.set('/p/b/w_100.jpg', ANONYMOUS, {}, resolution('b', 'w_100'), HOUR);
    cache.forgetAsset('a');
    expect(cache.get('/p/a/w_100.jpg', ANONYMOUS, {})).toBeUndefined();
    expect(cache.get('/p/a/fmt_auto.jpg', ANONYMOUS, { accept: 'image/webp' })).toBeUndefined();
    expect(cache.get('/p/b/w_100.jpg', ANONYMOUS, {})).toBeDefined();
    cache.clear();
    expect(cache.get('/p/b/w_100.jpg', ANONYMOUS, {})).toBeUndefined();
  });

  it('remembers nothing whose catalog entries are already gone', () => {
    const cache = new ResolutionCache();
    cache.set('/p/a/w_100.jpg', ANONYMOUS, {}, resolution('a', 'w_100'), 0);
    expect(cache.size).toBe(0);
  });
});
