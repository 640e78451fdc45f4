/** The Fastify application: routes over an already-built Platform. */
import multipart from '@fastify/multipart';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import { installErrorHandler } from './error-handler.ts';
import { registerApiCors } from './cors.ts';
import { registerOpenApi } from './openapi.ts';
import { echoRequestId, OneLinePerRequest, requestId } from './request-log.ts';
import { installDrain } from './drain.ts';
import { MemoryHitPath } from './image-hits.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { sweepOrphanedTempFiles } from '../core/temp-files.ts';
import { UPLOAD_DIR } from './uploads/receive.ts';
import type { Platform } from '../platform/platform.ts';
import { registerAssetRoutes } from './routes/assets.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { installApiRateLimits } from './rate-limit-hook.ts';
import { registerImageRoutes } from './routes/images.ts';
import { registerSigningRoutes } from './routes/signing.ts';
import { registerPurgeRoutes } from './routes/purge.ts';

/**
 * Something mounted beside the REST routes, such as the GraphQL control plane. The shells never
 * import each other, so the entry points (and test support) pass it in.
 */
export type AppExtension = (app: FastifyInstance, platform: Platform) => Promise<void>;

export async function buildApp(platform: Platform, extensions: readonly AppExtension[] = []): Promise<FastifyInstance> {
  const memoryHits = new MemoryHitPath(platform, () => app);
  const app: FastifyInstance = Fastify({
    logger: {
      level: platform.config.logLevel,
      // Signed query strings are credentials: log the path only.
      serializers: { req: (request) => ({ method: request.method, url: request.url.split('?')[0] }) },
    },
    logController: new OneLinePerRequest(),
    genReqId: requestId,
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 1024 },
    // Request schemas (request-schemas.ts) refuse unknown fields and wrongly typed values rather
    // than silently drop or convert them ("600" is not a number of seconds).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // the client address of per-address rate limits, behind a CDN or load balancer
    trustProxy: platform.config.trustProxy,
    serverFactory: httpServer(platform.config.http, memoryHits),
  });
  app.addHook('onClose', async () => memoryHits.close());
  installErrorHandler(app);
  await registerSecurityHeaders(app);
  // Upload temp files of server processes that were killed mid-upload.
  await sweepOrphanedTempFiles(UPLOAD_DIR);
  echoRequestId(app);
  installDrain(app);
  await registerApiCors(app, platform.cors);
  await registerOpenApi(app, { production: platform.config.production });
  // Upload size is enforced per space from its policy; this is only the hard ceiling.
  await app.register(multipart, { limits: { fileSize: 2 ** 40 } });

  app.addHook('onResponse', async (request, reply) => {
    platform.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (reply.statusCode === 503 || reply.statusCode === 429) {
      platform.metrics.throttled.inc({ status: String(reply.statusCode), route: request.routeOptions.url ?? 'unmatched' });
    }
  });

  installApiRateLimits(app, platform);
  registerHealthRoutes(app, platform);
  registerImageRoutes(app, { ...platform, signatures: platform.signing, cacheTagHeaders: platform.config.cacheTagHeaders });
  registerAssetRoutes(app, { ...platform, publicBaseUrl: platform.config.publicBaseUrl });
  registerSigningRoutes(app, { ...platform, publicBaseUrl: platform.config.publicBaseUrl });
  registerPurgeRoutes(app, platform);
  for (const extend of extensions) await extend(app, platform);
  return app;
}

/**
 * The HTTP server, with the memory-hit path in front of Fastify's handler (server/image-hits.ts);
 * `app.inject` reaches Fastify directly. Connection bounds: a stalled upload gets its 408 at
 * REQUEST_TIMEOUT_MS, a silent socket is closed at IDLE_TIMEOUT_MS. Node checks the request and
 * header timeouts every second here (its default of 30 s would let a stalled request outlive its
 * timeout by that much).
 */
function httpServer(http: Platform['config']['http'], memoryHits: MemoryHitPath): FastifyServerFactory {
  return (fastifyHandler) => {
    const server = createServer(
      { headersTimeout: http.headersTimeoutMs, requestTimeout: http.requestTimeoutMs, keepAliveTimeout: http.keepAliveTimeoutMs, connectionsCheckingInterval: 1_000 },
      (request: IncomingMessage, response: ServerResponse) => {
        if (!memoryHits.serve(request, response)) fastifyHandler(request, response);
      },
    );
    server.setTimeout(http.idleTimeoutMs);
    server.maxConnections = http.maxConnections;
    return server;
  };
}
