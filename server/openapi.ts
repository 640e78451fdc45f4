/**
 * The REST API described: an OpenAPI 3.1 document generated from the routes' own schemas by
 * @fastify/swagger, served at GET /openapi.json, and a browsable reference at /reference outside
 * production (@fastify/swagger-ui, its assets served from the package, so it works offline).
 * Register before the routes: the document is collected as routes are added. GraphQL has its own
 * schema (/graphql, graphql/schema.graphql) and the demo page and reference are hidden.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { SHARED_SCHEMAS } from './response-schemas.ts';

export interface RouteEntry {
  method: string;
  url: string;
  hidden: boolean;
}

const ROUTES = new WeakMap<FastifyInstance, RouteEntry[]>();

/** GraphQL's routes (mounted by graphql/mount.ts: API, IDE and its assets): its schema is its document. */
const GRAPHQL_ROUTE = /^\/(?:graphql|graphiql|ruru-static\/)/;

function isHidden(url: string, schema: unknown): boolean {
  return GRAPHQL_ROUTE.test(url) || (schema as { hide?: boolean } | undefined)?.hide === true;
}

/** Every route registered after registerOpenApi, so a test can hold the document against them. */
export function registeredRoutes(app: FastifyInstance): readonly RouteEntry[] {
  return ROUTES.get(app) ?? [];
}

export async function registerOpenApi(app: FastifyInstance, options: { production: boolean }): Promise<void> {
  const routes: RouteEntry[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, hidden: isHidden(route.url, route.schema) });
    }
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'imgplane REST API',
        version: '1',
        description:
          'Uploads, asset versions, URL signing and signing keys, image delivery, health and metrics. ' +
          'The control plane (organisations, tenants, spaces, policies, presets, keys) is GraphQL at /graphql.',
      },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } },
    },
    transform: ({ schema, url }) => ({ schema: isHidden(url, schema) ? { ...schema, hide: true } : schema, url }),
    // Shared schemas appear as components named by their $id (ErrorBody, Asset, ...), not def-0.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, index) => String(json.$id ?? `def-${index}`) },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (!options.production) await app.register(swaggerUi, { routePrefix: '/reference' });
}
