/** Upload, new version, read and soft delete of originals: /v1/spaces/{id}/assets and /v1/assets/{id}. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../core/errors.ts';
import { isUuid } from '../../core/uuid.ts';
import { parseUploadOptions, type AssetService } from '../../platform/assets/asset-service.ts';
import { requireScope, type ApiKeyAuthenticator } from '../../platform/keys/api-key-authenticator.ts';
import type { DeliveryCatalog } from '../../platform/delivery/catalog.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { UsageRecorder } from '../../platform/usage.ts';
import { receiveUpload } from '../uploads/receive.ts';
import { baseUrlFor } from '../../platform/base-url.ts';

export interface AssetRouteDeps {
  assets: AssetService;
  auth: ApiKeyAuthenticator;
  catalog: DeliveryCatalog;
  metrics: Metrics;
  usage: UsageRecorder;
  publicBaseUrl: string | undefined;
}

function uuidParam(request: FastifyRequest, name: string): string {
  const value = (request.params as Record<string, string>)[name] ?? '';
  if (!isUuid(value)) throw badRequest(`${name} must be a UUID, got "${value}"`);
  return value.toLowerCase();
}

export function registerAssetRoutes(app: FastifyInstance, deps: AssetRouteDeps): void {
  const { assets, auth, catalog, metrics, usage, publicBaseUrl } = deps;

  /** Receives, validates and records one original; counts the outcome either way. */
  async function ingest<T extends { created: boolean }>(
    request: FastifyRequest,
    maxBytes: number,
    store: (upload: Awaited<ReturnType<typeof receiveUpload>>) => Promise<T>,
  ): Promise<T> {
    const upload = await receiveUpload(request, maxBytes).catch((error: unknown) => {
      metrics.uploads.inc({ outcome: 'rejected' });
      throw error;
    });
    try {
      const result = await store(upload);
      metrics.uploads.inc({ outcome: result.created ? 'created' : 'deduplicated' });
      return result;
    } catch (error) {
      metrics.uploads.inc({ outcome: 'rejected' });
      throw error;
    } finally {
      await upload.discard();
    }
  }

  app.post('/v1/spaces/:spaceId/assets', async (request, reply) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'image:write');
    const space = await assets.spaceForUpload(claims, uuidParam(request, 'spaceId'));
    const result = await ingest(request, space.policy.max_upload_bytes, async (upload) => {
      const options = parseUploadOptions(upload.fields);
      const facts = await assets.inspect(upload, space);
      const outcome = await assets.create(claims, space, upload, facts, options, baseUrlFor(request, publicBaseUrl));
      if (outcome.created) usage.record(space, { upload_count: 1, upload_bytes: upload.size });
      return outcome;
    });
    return reply.code(result.created ? 201 : 200).send(result.asset);
  });

  app.put('/v1/assets/:assetId', async (request, reply) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'image:write');
    const assetId = uuidParam(request, 'assetId');
    const space = await assets.spaceOfAsset(claims, assetId);
    const result = await ingest(request, space.policy.max_upload_bytes, async (upload) => {
      const facts = await assets.inspect(upload, space);
      const outcome = await assets.addVersion(claims, assetId, space, upload, facts, baseUrlFor(request, publicBaseUrl));
      if (outcome.created) usage.record(space, { upload_count: 1, upload_bytes: upload.size });
      return outcome;
    });
    catalog.forgetAsset(assetId);
    return reply.code(result.created ? 201 : 200).send(result.asset);
  });

  app.get('/v1/assets/:assetId', async (request) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'image:read');
    return assets.view(claims, uuidParam(request, 'assetId'), baseUrlFor(request, publicBaseUrl));
  });

  app.delete('/v1/assets/:assetId', async (request, reply) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'image:write');
    const assetId = uuidParam(request, 'assetId');
    await assets.remove(claims, assetId);
    catalog.forgetAsset(assetId);
    return reply.code(204).send();
  });
}
