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
  /**
   * What the test reads of the elements matching `selector`. A function, not a string (the page's
   * Content-Security-Policy forbids eval); its DOM types are spelled out here because this file is
   * type-checked without the DOM library.
   */
  const elements = (selector: string) =>
    page.$$eval(selector, (all) =>
      all.map((node) => {
        const element = node as unknown as {
          complete: boolean; naturalWidth: number; currentSrc: string; value: number; dataset: Record<string, string | undefined>;
        };
        return {
          role: element.dataset.role, format: element.dataset.format, assetId: element.dataset.assetId,
          complete: element.complete, width: element.naturalWidth, src: element.currentSrc, value: element.value,
        };
      }),
    );
  const one = async (selector: string) => {
    const [first] = await elements(selector);
    if (!first) throw new Error(`no element matches ${selector}`);
    return first;
  };

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
    await page.waitForFunction(() =>
      [...(globalThis as unknown as { document: { images: Iterable<{ complete: boolean }> } }).document.images].every((img) => img.complete),
    );
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await server?.close();
  });

  it('loads every image it shows: the sample, one per preset, and the signed private one', async () => {
    const images = await elements('img');
    const presetCount = Object.keys((await server.platform.catalog.space(seedSlugs(seed).org, 'website', 'marketing')).presets).length;
    expect(images.filter((img) => img.role === 'preset')).toHaveLength(presetCount);
    expect(images.filter((img) => img.role === 'sample' || img.role === 'private')).toHaveLength(2);
    for (const image of images) expect(image, image.src).toMatchObject({ width: expect.any(Number) });
    expect(images.filter((image) => image.width === 0)).toEqual([]);
    expect(images.find((image) => image.role === 'private')?.src).toMatch(/\/v1\/priv\/.*\?exp=\d+&kid=[^&]+&sig=/);
  });

  it('gets AVIF or WebP for fmt_auto, and the 1.5x candidate on a 1.5x screen', async () => {
    const sample = (await one('img[data-role="sample"]')).src;
    expect(new URL(sample).pathname).toMatch(/\/w_640-dpr_1\.5-fmt_auto\.jpg$/);
    expect(imageTypes.get(sample)).toMatch(/^image\/(avif|webp)$/);
    const presetSources = (await elements('img[data-role="preset"]')).map((img) => img.src);
    for (const src of presetSources) expect(imageTypes.get(src), src).toMatch(/^image\/(avif|webp)$/);
    // The captions say what was delivered, read back from the server.
    await expect.poll(async () => (await elements('img[data-role]')).every((img) => img.format !== undefined), { timeout: 20_000 }).toBe(true);
    expect((await one('img[data-role="sample"]')).format).toMatch(/^(avif|webp)$/);
  });

  it('uploads through the upload box, showing progress, and the new asset is in the space', async () => {
    await page.setInputFiles('#upload-file', path.join(CORPUS_DIR, 'Landscape_3.jpg'));
    await page.waitForSelector('#upload-status[data-asset-id]');
    const assetId = (await one('#upload-status')).assetId;
    expect((await one('#upload-progress')).value).toBe(100);
    const { rows } = await server.db.query('select space_id, tags from imgplane.assets where id = $1', [assetId]);
    expect(rows).toEqual([{ space_id: seed.spaceId, tags: ['demo-page'] }]);
    await expect.poll(async () => (await elements('img[data-role="uploaded"]')).some((img) => img.complete && img.width > 0), { timeout: 20_000 }).toBe(true);
  });

  it('links to an API reference that renders every REST operation', async () => {
    const reference = await context.newPage();
    try {
      await reference.goto(`${server.baseUrl}/reference/`);
      await reference.waitForSelector('.opblock', { timeout: 20_000 });
      expect((await reference.$$('.opblock')).length).toBeGreaterThan(8);
    } finally {
      await reference.close();
    }
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
