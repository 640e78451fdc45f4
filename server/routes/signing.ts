/** POST /v1/sign (scope `sign`) and signing-key rotation/revocation (scope `admin`). */
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../../core/errors.ts';
import { requireScope, type ApiKeyAuthenticator } from '../../platform/keys/api-key-authenticator.ts';
import type { SigningService } from '../../platform/keys/signing-keys.ts';
import { baseUrlFor } from '../../platform/base-url.ts';
import { errorResponses, ref, SIGNED_URLS, SIGNING_KEY } from '../response-schemas.ts';
import { optionalBody, ROTATE_BODY, SIGN_BODY, SIGNING_KEY_PARAMS } from '../request-schemas.ts';

const SIGNING_DOC = { tags: ['signing'], security: [{ apiKey: [] }] };

export interface SigningRouteDeps {
  auth: ApiKeyAuthenticator;
  signing: SigningService;
  publicBaseUrl: string | undefined;
}

const MAX_PATHS = 100;

export function registerSigningRoutes(app: FastifyInstance, { auth, signing, publicBaseUrl }: SigningRouteDeps): void {
  app.post('/v1/sign', { schema: { ...SIGNING_DOC, summary: 'Sign private image paths (scope sign)', body: SIGN_BODY, response: { 200: ref(SIGNED_URLS), ...errorResponses(400, 401, 403, 404, 429) } } }, async (request) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'sign');
    const body = (request.body ?? {}) as { path?: unknown; paths?: unknown; ttlSeconds?: unknown };
    const paths = body.paths ?? (body.path === undefined ? undefined : [body.path]);
    if (!Array.isArray(paths) || paths.length === 0 || paths.length > MAX_PATHS) {
      throw badRequest(`send "path" or "paths" (1 to ${MAX_PATHS} image paths)`);
    }
    if (body.ttlSeconds !== undefined && typeof body.ttlSeconds !== 'number') throw badRequest('ttlSeconds must be a number');
    const urls = await signing.sign(claims, paths as string[], body.ttlSeconds as number | undefined, baseUrlFor(request, publicBaseUrl));
    return { urls };
  });

  app.post('/v1/signing-keys/rotate', { preValidation: optionalBody, schema: { ...SIGNING_DOC, summary: 'Create a new active signing key; the previous one keeps verifying for its grace period (scope admin)', body: ROTATE_BODY, response: { 201: ref(SIGNING_KEY), ...errorResponses(400, 401, 403, 404, 429) } } }, async (request, reply) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'admin');
    const body = request.body as { organizationId?: unknown; tenantId?: unknown };
    const organizationId = typeof body.organizationId === 'string' ? body.organizationId : claims.organizationId;
    if (!organizationId) throw badRequest('organizationId is required for platform keys');
    const tenantId = typeof body.tenantId === 'string' ? body.tenantId : claims.tenantId;
    return reply.code(201).send(await signing.rotate(claims, organizationId, tenantId));
  });

  app.post('/v1/signing-keys/:kid/revoke', { schema: { ...SIGNING_DOC, summary: 'Revoke a signing key at once (scope admin)', params: SIGNING_KEY_PARAMS, response: { 204: { type: 'null', description: 'Revoked' }, ...errorResponses(400, 401, 403, 404, 429) } } }, async (request, reply) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'admin');
    const { kid } = request.params as { kid: string };
    const revoked = await signing.revoke(claims, kid);
    if (!revoked) throw notFound(`no signing key ${kid}`);
    return reply.code(204).send();
  });
}
