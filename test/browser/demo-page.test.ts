/**
 * The demo page (GET /) in a real headless Chromium: every image it shows loads, `fmt_auto` gives
 * the browser AVIF or WebP, the sample's density srcset resolves to the fractional `dpr_1.5`
 * candidate on a 1.5x screen, an upload through the page's upload box lands in the space, nothing
 * is fetched from another origin (it works offline), and a screenshot is kept in test-results/.
 * Chromium comes from Debian (`apt-get install chromium`; .ci/run installs it): without it the
 * browser tests say why they skip.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../core/config.ts';
import { seedDemo, type DemoSeed } from '../../platform/demo-seed.ts';
import { demoPage } from '../../server/routes/demo.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { CORPUS_DIR } from '../support/http.ts';
import { uniqueSlug } from '../support/tenancy.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`skipping the demo page browser tests: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

const SCREENSHOT = path.join(REPO_ROOT, 'test-results', 'demo-page.png');

describe.skipIf(!hasChromium)('the demo page in Chromium', () => {
  let server: TestApp;
  let seed: DemoSeed;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  /** Content type of every image response, by URL. */
  const imageTypes = new Map<string, string>();
  const foreignRequests: string[] = [];
  /** Evaluates an expression in the page (a string: this file is type-checked without DOM types). */
  const inPage = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

  beforeAll(async () => {
    let current: DemoSeed | undefined;
    server = await startTestApp({ extensions: [demoPage(() => current)] });
    seed = current = await seedDemo(server.platform, server.baseUrl, { orgSlug: uniqueSlug('demo') });
    profile = await mkdtemp(path.join(tmpdir(), 'imgplane-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1.5,
    });
    // Offline: anything not served by imgplane itself is refused and remembered.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(server.baseUrl)) return route.continue();
      foreignRequests.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('response', (response) => {
      const type = response.headers()['content-type'] ?? '';
      if (type.startsWith('image/')) imageTypes.set(response.url(), type);
    });
    await page.goto(`${server.baseUrl}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForFunction('[...document.images].every((img) => img.complete)');
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await server?.close();
  });

  it('loads every image it shows: the sample, one per preset, and the signed private one', async () => {
    const images = await inPage<{ role: string | undefined; width: number; src: string }[]>(
      '[...document.images].map((img) => ({ role: img.dataset.role, width: img.naturalWidth, src: img.currentSrc }))',
    );
    const presetCount = Object.keys((await server.platform.catalog.space(seedSlugs(seed).org, 'website', 'marketing')).presets).length;
    expect(images.filter((img) => img.role === 'preset')).toHaveLength(presetCount);
    expect(images.filter((img) => img.role === 'sample' || img.role === 'private')).toHaveLength(2);
    for (const image of images) expect(image, image.src).toMatchObject({ width: expect.any(Number) });
    expect(images.filter((image) => image.width === 0)).toEqual([]);
    expect(images.find((image) => image.role === 'private')?.src).toMatch(/\/v1\/priv\/.*\?exp=\d+&kid=[^&]+&sig=/);
  });

  it('gets AVIF or WebP for fmt_auto, and the 1.5x candidate on a 1.5x screen', async () => {
    const sample = await inPage<string>('document.querySelector(\'img[data-role="sample"]\').currentSrc');
    expect(new URL(sample).pathname).toMatch(/\/w_640-dpr_1\.5-fmt_auto\.jpg$/);
    expect(imageTypes.get(sample)).toMatch(/^image\/(avif|webp)$/);
    const presetSources = await inPage<string[]>('[...document.querySelectorAll(\'img[data-role="preset"]\')].map((img) => img.currentSrc)');
    for (const src of presetSources) expect(imageTypes.get(src), src).toMatch(/^image\/(avif|webp)$/);
    // The captions say what was delivered, read back from the server.
    await page.waitForFunction('[...document.querySelectorAll("img[data-role]")].every((img) => img.dataset.format)');
    expect(await inPage<string>('document.querySelector(\'img[data-role="sample"]\').dataset.format')).toMatch(/^(avif|webp)$/);
  });

  it('uploads through the upload box, showing progress, and the new asset is in the space', async () => {
    await page.setInputFiles('#upload-file', path.join(CORPUS_DIR, 'Landscape_3.jpg'));
    await page.waitForSelector('#upload-status[data-asset-id]');
    const assetId = await inPage<string>('document.querySelector("#upload-status").dataset.assetId');
    expect(await inPage<number>('document.querySelector("#upload-progress").value')).toBe(100);
    const { rows } = await server.platform.pool.query('select space_id, tags from imgplane.assets where id = $1', [assetId]);
    expect(rows).toEqual([{ space_id: seed.spaceId, tags: ['demo-page'] }]);
    await page.waitForFunction('(() => { const img = document.querySelector(\'img[data-role="uploaded"]\'); return img !== null && img.complete && img.naturalWidth > 0; })()');
  });

  it('fetches nothing from other origins, and leaves a screenshot', async () => {
    expect(foreignRequests).toEqual([]);
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });
});

function seedSlugs(seed: DemoSeed): { org: string } {
  return { org: new URL(seed.asset.urls.original).pathname.split('/')[3]! };
}
