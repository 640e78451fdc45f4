/**
 * The demo page at GET / outside production: static files from server/demo/, the browser build
 * of @imgplane/url (bundled once when the server starts, so it always matches the grammar), and
 * GET /demo/session.json describing the seeded demo. Everything it loads is served from here, so
 * it works offline. Without a seeded demo (SEED_DEMO off) the page still loads and says so.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { browserBundle } from '@imgplane/url/browser-build';
import { notFound } from '../../core/errors.ts';
import { baseUrlFor } from '../../platform/base-url.ts';
import type { DemoSeed } from '../../platform/demo-seed.ts';
import { demoSession } from '../../platform/demo-session.ts';
import type { AppExtension } from '../app.ts';

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'demo');
/** The demo changes with the code: browsers must not keep stale copies. */
const NO_CACHE = 'no-cache';

/** `seed` answers the demo once seeded (after the server listens: the seed uploads through HTTP). */
export function demoPage(seed: () => DemoSeed | undefined): AppExtension {
  return async (app, platform) => {
    if (platform.config.production) return;
    const bundle = await browserBundle();
    await app.register(async (scope) => {
      await scope.register(fastifyStatic, { root: STATIC_DIR, prefix: '/demo/', cacheControl: false, schemaHide: true });
      scope.addHook('onSend', async (_request, reply) => {
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', NO_CACHE);
      });
      scope.get('/', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'));
      scope.get('/demo/imgplane-url.js', { schema: { hide: true } }, (_request, reply) =>
        reply.type('text/javascript; charset=utf-8').send(bundle),
      );
      scope.get('/demo/session.json', { schema: { hide: true } }, async (request, reply) => {
        const current = seed();
        if (!current) throw notFound('no demo data: this server runs with SEED_DEMO off');
        reply.header('cache-control', 'no-store');
        return demoSession(platform, current, baseUrlFor(request, platform.config.publicBaseUrl));
      });
    });
  };
}
