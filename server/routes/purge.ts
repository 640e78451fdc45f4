/**
 * The invalidation API over HTTP: POST /v1/assets/{id}/purge and /v1/spaces/{id}/purge (scope image:write), body
 * `{"storage": true}` optional. Drops the asset's variants from every cache layer (and storage
 * when asked) and queues the CDN purge; audited (platform/purge/cache-purge.ts).
 */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../core/errors.ts';
import { isUuid } from '../../core/uuid.ts';
import type { ApiKeyAuthenticator } from '../../platform/keys/api-key-authenticator.ts';
import type { CachePurge } from '../../platform/purge/cache-purge.ts';
import { errorResponses } from '../response-schemas.ts';
import { optionalBody, PURGE_BODY, uuidParams } from '../request-schemas.ts';

const PURGE_OUTCOME = {
  type: 'object',
  required: ['variants', 'storageDeleted', 'sharedCacheCleared', 'cdn'],
  properties: {
    variants: { type: 'integer', description: 'Registered variants whose cached copies were dropped' },
    storageDeleted: { type: 'integer', description: 'Stored variants deleted (0 unless storage was asked for)' },
    sharedCacheCleared: { type: 'boolean', description: 'False when Redis could not be reached' },
    cdn: { type: 'string', const: 'queued' },
  },
} as const;

export interface PurgeRouteDeps {
  auth: ApiKeyAuthenticator;
  cachePurge: CachePurge;
}

const PURGES = [
  { param: 'assetId', path: '/v1/assets/:assetId/purge', what: 'an asset\'s variants', purge: 'purgeAsset' },
  { param: 'spaceId', path: '/v1/spaces/:spaceId/purge', what: 'the variants of every asset of a space', purge: 'purgeSpace' },
] as const;

export function registerPurgeRoutes(app: FastifyInstance, deps: PurgeRouteDeps): void {
  for (const { param, path, what, purge } of PURGES) {
    const summary = `Drop ${what} from every cache (and storage with {"storage": true}); CDNs are purged shortly after`;
    app.post(path, { preValidation: optionalBody, schema: { tags: ['assets'], security: [{ apiKey: [] }], params: uuidParams(param), body: PURGE_BODY, summary, response: { 202: PURGE_OUTCOME, ...errorResponses(400, 401, 403, 404, 429) } } }, async (request, reply) => {
      const id = (request.params as Record<string, string>)[param]!;
      if (!isUuid(id)) throw badRequest(`${param} must be a UUID, got "${id}"`);
      const storage = (request.body as { storage?: boolean }).storage === true;
      const claims = await deps.auth.authenticate(request.headers['x-api-key']);
      const outcome = await deps.cachePurge[purge](claims, id.toLowerCase(), { includeStorage: storage });
      return reply.code(202).send(outcome);
    });
  }
}
