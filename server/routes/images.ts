/**
 * The thin image route: GET/HEAD /v1/pub/... and /v1/priv/...?exp=&kid=&sig=. Everything it does
 * is lookups in caches filled by the catalog and the variant service; a memory hit makes no
 * database or Redis round trip and no write (usage is counted in memory).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseDeliveryPath, type DeliveryPath } from '../../core/delivery-path.ts';
import { notFound } from '../../core/errors.ts';
import { parseOps, planVariant } from '../../core/ops/index.ts';
import { ANONYMOUS, type Claims } from '../../platform/request-context.ts';
import type { DeliveryCatalog } from '../../platform/delivery/catalog.ts';
import type { Delivery, VariantService } from '../../platform/delivery/variants.ts';
import type { Metrics } from '../../platform/metrics.ts';
import type { UsageRecorder } from '../../platform/usage.ts';
import type { VariantAccessRecorder } from '../../platform/delivery/access-recorder.ts';
import type { SignedUrlVerifier } from '../../platform/keys/signing-keys.ts';

export interface ImageRouteDeps {
  catalog: DeliveryCatalog;
  variants: VariantService;
  usage: UsageRecorder;
  access: VariantAccessRecorder;
  metrics: Metrics;
  signatures: SignedUrlVerifier;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

export function registerImageRoutes(app: FastifyInstance, deps: ImageRouteDeps): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => serveImage(deps, request, reply);
  app.get('/v1/pub/*', handler);
  app.get('/v1/priv/*', handler);
}

async function serveImage(deps: ImageRouteDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const queryAt = request.url.indexOf('?');
  const pathname = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
  const path = parseDeliveryPath(pathname);

  // Private URLs are verified before any other work, so a bad signature costs nothing else.
  let claims = ANONYMOUS;
  let cacheControl = IMMUTABLE;
  if (path.access === 'priv') {
    const verified = await deps.signatures.verify(request, pathname, path);
    claims = verified.claims;
    cacheControl = `private, max-age=${Math.max(0, verified.secondsLeft)}`;
  }

  const space = await deps.catalog.space(path.org, path.tenant, path.space);
  const asset = await deps.catalog.assetVersion(claims, path.assetId, path.version);
  // An asset id under another org/tenant/space's path is "not found", never a hint it exists.
  if (asset.spaceId !== space.spaceId) throw notFound(`no asset ${path.assetId} in this space`);
  if (path.access === 'pub' && asset.access !== 'public') throw notFound(`no asset ${path.assetId} in this space`);

  const accept = request.headers.accept;
  const plan = planVariant({
    parsed: parseOps(path.ops),
    presets: space.presets,
    extension: path.extension,
    accept,
    policy: space.policy,
    source: { format: asset.format, hasAlpha: asset.hasAlpha, frames: asset.frames },
  });
  const delivery = await deps.variants.deliver(asset, plan, space.policy);

  deps.metrics.deliveries.inc({ cache: delivery.layer });
  deps.access.record(asset.assetId, delivery.variantKey);
  deps.usage.record(space, {
    request_count: 1,
    bandwidth_bytes: request.method === 'HEAD' ? 0 : delivery.variant.body.length,
    cache_hit_count: delivery.layer === 'miss' ? 0 : 1,
    transform_count: delivery.layer === 'miss' ? 1 : 0,
    transform_cpu_ms: Math.round(delivery.transformMs),
  });
  return sendVariant(reply, request, delivery, cacheControl, plan.negotiated);
}

function sendVariant(
  reply: FastifyReply,
  request: FastifyRequest,
  delivery: Delivery,
  cacheControl: string,
  negotiated: boolean,
): FastifyReply {
  const { variant } = delivery;
  reply.header('etag', variant.etag);
  reply.header('cache-control', cacheControl);
  reply.header('x-cache', delivery.layer);
  if (negotiated) reply.header('vary', 'Accept');
  const timing = serverTiming(delivery);
  if (timing) reply.header('server-timing', timing);
  if (etagMatches(request.headers['if-none-match'], variant.etag)) return reply.code(304).send();
  reply.header('content-type', variant.contentType);
  reply.header('content-length', variant.body.length);
  return reply.send(variant.body);
}

function serverTiming(delivery: Delivery): string {
  return Object.entries(delivery.timings)
    .map(([stage, ms]) => `${stage};dur=${ms.toFixed(1)}`)
    .join(', ');
}

/** RFC 9110 If-None-Match: `*` or a list of entity tags (weak comparison is allowed for GET). */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
