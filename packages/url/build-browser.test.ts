import { describe, expect, it } from 'vitest';
import { browserBundle } from './build-browser.ts';

describe('the browser build', () => {
  it('needs no Node built-ins and builds the same URLs as the sources', async () => {
    const bundle = await browserBundle();
    expect(bundle).not.toMatch(/from\s*["']node:|require\(/);
    const browser = (await import(`data:text/javascript;base64,${Buffer.from(bundle).toString('base64')}`)) as typeof import('./src/index.ts');
    const source = await import('./src/index.ts');
    const ref = { org: 'acme', tenant: 'website', space: 'media', assetId: '0b8a5a3e-6f1c-4c1e-9a51-3f0c1d2e4b5a' };
    const ops = { height: 300, width: 400, fit: 'cover', format: 'auto' } as const;
    expect(browser.imageUrl(ref, ops)).toBe(source.imageUrl(ref, ops));
    expect(browser.widthSrcset(ref, [200, 400], { ops })).toBe(source.widthSrcset(ref, [200, 400], { ops }));
    expect(() => browser.opsSegment({ width: 0 })).toThrow(/w must be/);
  });
});
