/**
 * The REST API is described: GET /openapi.json is an OpenAPI 3.1 document holding every REST
 * route with its response schemas, the browsable reference answers at /reference outside
 * production, and neither the reference nor the demo page exists in production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../server/openapi.ts';
import { demoPage } from '../../server/routes/demo.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

/** Routes deliberately left out of the REST document, each for a reason. */
const UNDOCUMENTED = new Set([
  'GET /openapi.json', // the document itself
  'GET /', 'GET /demo/*', 'GET /demo/imgplane-url.js', 'GET /demo/session.json', // the demo page
  'POST /graphql', 'GET /graphiql', 'GET /ruru-static/*', // GraphQL has its own schema
]);

let server: TestApp;
let document: OpenApiDocument;

beforeAll(async () => {
  server = await startTestApp({ extensions: [demoPage(() => undefined)] });
  const response = await fetch(`${server.baseUrl}/openapi.json`);
  expect(response.status).toBe(200);
  document = (await response.json()) as OpenApiDocument;
});
afterAll(() => server?.close());

/** `/v1/assets/:assetId` as OpenAPI writes it: `/v1/assets/{assetId}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{*}');
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with the shared schemas as named components', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components?.schemas ?? {})).toEqual(expect.arrayContaining(['ErrorBody', 'Asset', 'SignedUrls', 'SigningKey']));
  });

  it('holds every REST route, each with a described success answer', () => {
    const routes = registeredRoutes(server.app).filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS');
    const rest = routes.filter((route) => !route.hidden && !route.url.startsWith('/reference'));
    expect(rest.length).toBeGreaterThan(8);
    for (const route of rest) {
      const operation = document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.url}`).toBeDefined();
      // A 2xx with a schema of its body (204 has none); @fastify/swagger's placeholder has no content.
      const success = Object.entries(operation!.responses ?? {}).filter(
        ([status, response]) => status === '204' || (/^2/.test(status) && Object.values(response.content ?? {}).some((media) => media.schema)),
      );
      expect(success.length, `${route.method} ${route.url} documents its success answer`).toBeGreaterThan(0);
    }
  });

  it('leaves out only the routes meant to be left out', () => {
    const hidden = registeredRoutes(server.app)
      .filter((route) => route.hidden && route.method !== 'HEAD' && !route.url.startsWith('/reference'))
      .map((route) => `${route.method} ${route.url}`);
    expect(new Set(hidden)).toEqual(UNDOCUMENTED);
  });
});

describe('the browsable reference', () => {
  it('answers at /reference outside production, with its assets served locally', async () => {
    const page = await fetch(`${server.baseUrl}/reference/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger');
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"']*\.(js|css)/);
  });

  it('and the demo page do not exist in production', async () => {
    const production = await startTestApp({ config: { production: true }, extensions: [demoPage(() => undefined)] });
    try {
      expect((await fetch(`${production.baseUrl}/reference/`)).status).toBe(404);
      expect((await fetch(`${production.baseUrl}/`)).status).toBe(404);
      expect((await fetch(`${production.baseUrl}/openapi.json`)).status).toBe(200);
    } finally {
      await production.close();
    }
  });
});
