/**
 * Rate limits of the control plane: every REST API call (/v1/… other than image delivery) and
 * every GraphQL request counts against its API key and organisation, or, without a valid key,
 * against the client address (so guessing keys or flooding anonymous GraphQL is limited too).
 * Image delivery is limited in the image route, and only when it misses the memory cache.
 * Authentication is cached (platform/keys/api-key-authenticator.ts), so the handler's own
 * authenticate call that follows costs no second lookup.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyAuthenticator } from '../platform/keys/api-key-authenticator.ts';
import type { Limits } from '../platform/limits/limits.ts';

export interface ApiRateLimitDeps {
  auth: Pick<ApiKeyAuthenticator, 'authenticate'>;
  limits: Pick<Limits, 'admitRequest'>;
}

function isControlPlane(route: string | undefined): boolean {
  if (route === undefined) return false;
  if (route === '/graphql') return true;
  return route.startsWith('/v1/') && !route.startsWith('/v1/pub/') && !route.startsWith('/v1/priv/');
}

export function installApiRateLimits(app: FastifyInstance, { auth, limits }: ApiRateLimitDeps): void {
  app.addHook('preHandler', async (request: FastifyRequest, reply) => {
    if (!isControlPlane(request.routeOptions.url)) return;
    const secret = request.headers['x-api-key'];
    // a missing or wrong key is the handler's 401 to give; here it only means "anonymous"
    const claims = secret === undefined ? undefined : await auth.authenticate(secret).catch(() => undefined);
    reply.headers(
      await limits.admitRequest({
        organizationId: claims?.organizationId ?? null,
        apiKeyId: claims?.apiKeyId ?? null,
        clientAddress: request.ip,
      }),
    );
  });
}
