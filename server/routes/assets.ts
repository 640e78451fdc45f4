/** Upload, new version, read and soft delete of originals: /v1/spaces/{id}/assets and /v1/assets/{id}. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseUploadOptions, type AssetService } from '../../platform/assets/asset-service.ts';
import { withUsableUrls } from '../../platform/assets/private-asset-urls.ts';
import type { SigningService } from '../../platform/keys/signing-keys.ts';
import { requireScope, type ApiKeyAuthenticator } from '../../platform/keys/api-key-authenticator.ts';
import type { DeliveryCatalog } from '../../platform/delivery/catalog.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { UsageRecorder } from '../../platform/usage.ts';
import type { Limits } from '../../platform/limits/limits.ts';
import { receiveUpload } from '../uploads/receive.ts';
import { ASSET, errorResponses, ref } from '../response-schemas.ts';
import { uuidParams } from '../request-schemas.ts';
import { baseUrlFor } from '../../platform/base-url.ts';

export interface AssetRouteDeps {
  assets: AssetService;
  auth: ApiKeyAuthenticator;
  catalog: DeliveryCatalog;
  metrics: Metrics;
  usage: UsageRecorder;
  signing: SigningService;
  limits: Pick<Limits, 'admitUpload'>;
  publicBaseUrl: string | undefined;
}

/** A UUID route param, already validated by the route's params schema, in lowercase. */
function uuidParam(request: FastifyRequest, name: string): string {
  return ((request.params as Record<string, string>)[name] ?? '').toLowerCase();
}

const ASSET_PARAMS = uuidParams('assetId');
const ASSETS_DOC = { tags: ['assets'], security: [{ apiKey: [] }] };
const UPLOAD_BODY_DOC = {
  consumes: ['multipart/form-data'],
  description:
    'Multipart body: `file` (the image), optional `tags` (comma-separated), `folder` (`/products/shoes/`), `access` (`public` or `private`).',
};
const STORED_RESPONSES = {
  200: { ...ref(ASSET), description: 'The same bytes were already there: the existing asset' },
  201: { ...ref(ASSET), description: 'Stored' },
  ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429),
};

export function registerAssetRoutes(app: FastifyInstance, deps: AssetRouteDeps): void {
  const { assets, auth, catalog, metrics, usage, signing, limits, publicBaseUrl } = deps;

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

  app.post('/v1/spaces/:spaceId/assets', { schema: { ...ASSETS_DOC, ...UPLOAD_BODY_DOC, params: uuidParams('spaceId'), summary: 'Upload an original', response: STORED_RESPONSES } }, async (request, reply) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'image:write');
    const space = await assets.spaceForUpload(claims, uuidParam(request, 'spaceId'));
    const baseUrl = baseUrlFor(request, publicBaseUrl);
    const result = await ingest(request, space.policy.max_upload_bytes, async (upload) => {
      const options = parseUploadOptions(upload.fields);
      const facts = await assets.inspect(upload, space);
      await limits.admitUpload(space.organizationId, upload.size, true);
      const outcome = await assets.create(claims, space, upload, facts, options, baseUrl);
      if (outcome.created) usage.record(space, { upload_count: 1, upload_bytes: upload.size });
      return outcome;
    });
    return reply.code(result.created ? 201 : 200).send(await withUsableUrls(signing, claims, result.asset, baseUrl));
  });

  app.put('/v1/assets/:assetId', { schema: { ...ASSETS_DOC, ...UPLOAD_BODY_DOC, params: ASSET_PARAMS, summary: 'Upload a new version (older ones stay addressable)', response: STORED_RESPONSES } }, async (request, reply) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'image:write');
    const assetId = uuidParam(request, 'assetId');
    const space = await assets.spaceOfAsset(claims, assetId);
    const baseUrl = baseUrlFor(request, publicBaseUrl);
    const result = await ingest(request, space.policy.max_upload_bytes, async (upload) => {
      const facts = await assets.inspect(upload, space);
      await limits.admitUpload(space.organizationId, upload.size, false);
      const outcome = await assets.addVersion(claims, assetId, space, upload, facts, baseUrl);
      if (outcome.created) usage.record(space, { upload_count: 1, upload_bytes: upload.size });
      return outcome;
    });
    catalog.forgetAsset(assetId);
    return reply.code(result.created ? 201 : 200).send(await withUsableUrls(signing, claims, result.asset, baseUrl));
  });

  app.get('/v1/assets/:assetId', { schema: { ...ASSETS_DOC, params: ASSET_PARAMS, summary: 'Read an asset', response: { 200: ref(ASSET), ...errorResponses(400, 401, 403, 404, 429) } } }, async (request) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'image:read');
    const baseUrl = baseUrlFor(request, publicBaseUrl);
    return withUsableUrls(signing, claims, await assets.view(claims, uuidParam(request, 'assetId'), baseUrl), baseUrl);
  });

  app.delete('/v1/assets/:assetId', { schema: { ...ASSETS_DOC, params: ASSET_PARAMS, summary: 'Soft-delete an asset (its URLs answer 404)', response: { 204: { type: 'null', description: 'Deleted' }, ...errorResponses(400, 401, 403, 404, 429) } } }, async (request, reply) => {
    const claims = await auth.authenticate(request.headers['x-api-key']);
    requireScope(claims, 'image:write');
    const assetId = uuidParam(request, 'assetId');
    await assets.remove(claims, assetId);
    catalog.forgetAsset(assetId);
    return reply.code(204).send();
  });
}
