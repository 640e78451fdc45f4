/**
 * Mounts the control plane on the Fastify app: POST /graphql (and Ruru at /graphiql outside
 * production). The schema is built in the background from the database; requests arriving
 * before it is ready wait for it. Closing the app releases PostGraphile (not the shared pool).
 */
import type { FastifyInstance } from 'fastify';
import { postgraphile } from 'postgraphile';
import { grafserv } from 'postgraphile/grafserv/fastify/v5';
import type { Platform } from '../platform/platform.ts';
import { limitGraphqlOperations } from './operation-limits.ts';
import { graphqlServerPreset } from './preset.ts';
import { authenticateGraphqlRequest } from './request-context.ts';

export async function mountGraphql(app: FastifyInstance, platform: Platform): Promise<void> {
  const pgl = postgraphile(
    graphqlServerPreset({
      services: platform,
      publicBaseUrl: platform.config.publicBaseUrl,
      production: platform.config.production,
      log: app.log,
    }),
  );
  const schema = () => Promise.resolve(pgl.getSchema());
  const schemaReady = schema().catch((error: unknown) => {
    app.log.error({ err: error }, 'GraphQL schema could not be built; /graphql will answer errors');
  });
  const serv = pgl.createServ(grafserv);
  // Encapsulated, so the authentication hook runs for the GraphQL routes only.
  await app.register(async (graphqlScope) => {
    graphqlScope.addHook('preHandler', authenticateGraphqlRequest(platform.auth));
    graphqlScope.addHook('preHandler', limitGraphqlOperations(schema));
    await serv.addTo(graphqlScope);
  });
  app.addHook('onClose', async () => {
    // A build still introspecting would otherwise query a pool that is about to end.
    await schemaReady;
    await pgl.release();
  });
}
