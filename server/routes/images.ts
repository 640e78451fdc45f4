/**
 * The thin image route: GET/HEAD /v1/pub/... and /v1/priv/...?exp=&kid=&sig=. Everything it does
 * is lookups in caches filled by the catalog and the variant service; a memory hit makes no
 * database or Redis round trip and no write (usage is counted in memory).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorResponses } from '../response-schemas.ts';
import type { CacheTagHeader } from '../../core/config.ts';
import { parseDeliveryPath, PUBLIC_PREFIX, type DeliveryPath } from '../../core/delivery-path.ts';
import { isImgplaneError, notFound } from '../../core/errors.ts';
import { parseOps, planStandIn, planVariant, type ParsedOps, type VariantPlan } from '../../core/ops/index.ts';
import { ANONYMOUS, type Claims } from '../../platform/request-context.ts';
import type { DeliveryCatalog } from '../../platform/delivery/catalog.ts';
import type { Resolution } from '../../platform/delivery/resolutions.ts';
import { variantCacheKey } from '../../platform/delivery/cache-key.ts';
import type { VariantService } from '../../platform/delivery/variants.ts';
import type { SignedUrlVerifier } from '../../platform/keys/signing-keys.ts';
import { cacheTagHeaders, cacheTagsFor } from '../../platform/purge/cache-tags.ts';
import type { Limits } from '../../platform/limits/limits.ts';
import {
  bodyBytesSent,
  bodyHeaders,
  cacheControlFor,
  countDeliveries,
  PUBLIC_IMAGE_ROUTE,
  requestDependent,
  standInCacheControl,
  variantHeaders,
  type DeliveryCounters,
} from '../image-response.ts';

export interface ImageRouteDeps extends DeliveryCounters {
  catalog: DeliveryCatalog;
  variants: VariantService;
  signatures: SignedUrlVerifier;
  limits: Limits;
  /** Which cache-tag headers answers carry (CACHE_TAG_HEADERS). */
  cacheTagHeaders: readonly CacheTagHeader[];
}

export function registerImageRoutes(app: FastifyInstance, deps: ImageRouteDeps): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => serveImage(deps, request, reply);
  // CORS here follows the space of the URL (image-response.ts), not the API's rule (server/cors.ts).
  const config = { cors: false, securityHeaders: 'image' } as const;
  app.get(PUBLIC_IMAGE_ROUTE, { config, schema: imageSchema('A public image variant') }, handler);
  app.get('/v1/priv/*', { config, schema: imageSchema('A private image variant: needs `?exp=&kid=&sig=` (docs/signing.md)') }, handler);
}

/** The route's OpenAPI description: the path grammar is docs/url-reference.md. */
function imageSchema(summary: string) {
  const image = { type: 'string', contentMediaType: 'image/*', description: 'The variant\'s bytes' } as const;
  return {
    tags: ['images'],
    summary,
    description: '`{org}/{tenant}/{space}/img/{assetId}/v{version}/{ops}.{ext}`, e.g. `w_800-h_600-f_cover-fmt_auto.jpg` (docs/url-reference.md).',
    response: {
      200: { description: 'The variant', content: Object.fromEntries(['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif'].map((type) => [type, { schema: image }])) },
      304: { type: 'null', description: 'Not modified (If-None-Match)' },
      ...errorResponses(400, 401, 403, 404, 429, 503),
    },
  };
}

async function serveImage(deps: ImageRouteDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const queryAt = request.url.indexOf('?');
  const pathname = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
  // Private URLs are parsed and verified before any other work, every time, so a bad signature
  // costs nothing else; only then may a remembered resolution spare the rest.
  let claims = ANONYMOUS;
  let secondsLeft: number | undefined;
  let checked: CheckedPath | undefined;
  if (!pathname.startsWith(PUBLIC_PREFIX)) {
    checked = checkPath(pathname);
    if (checked.path.access === 'priv') {
      const verified = await deps.signatures.verify(request, pathname, checked.path);
      claims = verified.claims;
      secondsLeft = Math.max(0, verified.secondsLeft);
    }
  }
  // A URL resolved before costs one lookup: no parsing, catalog lookups, planning or hashing.
  const resolution =
    deps.catalog.resolutions.get(pathname, claims, request.headers) ??
    (await resolveImage(deps, request, pathname, checked ?? checkPath(pathname), claims));
  const { space, asset, plan } = resolution;

  // The transform's time budget counts from the request's arrival, not from its turn in the queue.
  // Rate limits and render quotas apply only beyond the memory cache (platform/limits/limits.ts),
  // so the gate is built only past it.
  const gate = () =>
    deps.limits.deliveryGate({ organizationId: space.organizationId, apiKeyId: null, clientAddress: request.ip }, (headers) => {
      reply.headers(headers); // (not returned: a reply is thenable, awaiting it would wait for the response)
    });
  // fmt_auto: an AVIF too slow to render inline is answered in the next accepted format meanwhile.
  const receivedAt = performance.now() - reply.elapsedTime;
  const delivery = await deps.variants.deliverNegotiated(asset, plan, resolution.standIn, space.policy, receivedAt, gate, resolution.variantKey);

  const cacheControl = delivery.provisional ? standInCacheControl(space.policy, secondsLeft) : cacheControlFor(resolution.path, space.policy, secondsLeft);
  reply.headers(variantHeaders(resolution, delivery, cacheControl));
  const { notModified, allowOrigin } = requestDependent(resolution, delivery.variant, request.headers);
  countDeliveries(deps, resolution, delivery, { count: 1, bytesSent: bodyBytesSent(request.method, notModified, delivery.variant) });
  if (allowOrigin) reply.header('access-control-allow-origin', allowOrigin);
  if (notModified) return reply.code(304).send();
  return reply.headers(bodyHeaders(delivery)).send(delivery.variant.body);
}

interface CheckedPath {
  path: DeliveryPath;
  parsed: ParsedOps;
}

/**
 * The path and its ops grammar, checked before any I/O (presets resolve later, against the
 * space), so garbage costs no lookup.
 */
function checkPath(pathname: string): CheckedPath {
  const path = parseDeliveryPath(pathname);
  return { path, parsed: parseOps(path.ops) };
}

/** Looks the URL up in the catalog and plans its variant, then remembers the result. */
async function resolveImage(
  deps: ImageRouteDeps,
  request: FastifyRequest,
  pathname: string,
  { path, parsed }: CheckedPath,
  claims: Claims,
): Promise<Resolution> {
  const space = await imageLookup(() => deps.catalog.space(path.org, path.tenant, path.space));
  const asset = await imageLookup(() => deps.catalog.assetVersion(claims, path.assetId, path.version));
  // An asset id under another org/tenant/space's path is "not found", never a hint it exists.
  if (asset.spaceId !== space.spaceId) throw notFound(IMAGE_NOT_FOUND);
  if (path.access === 'pub' && asset.access !== 'public') throw notFound(IMAGE_NOT_FOUND);

  const planInput = {
    parsed,
    presets: space.presets,
    extension: path.extension,
    accept: request.headers.accept,
    policy: space.policy,
    source: asset,
    hints: {
      dpr: headerText(request.headers['sec-ch-dpr']),
      width: headerText(request.headers['sec-ch-width']),
      saveData: headerText(request.headers['save-data']),
    },
  };
  const plan = planVariant(planInput);
  let standIn: { plan: VariantPlan | undefined } | undefined;
  const variantKey = deps.variants.keyFor(asset, plan);
  const resolution: Resolution = {
    path,
    space,
    asset,
    plan,
    variantKey,
    cacheKey: variantCacheKey(asset.organizationId, variantKey),
    standIn: () => (standIn ??= { plan: planStandIn(planInput, plan) }).plan,
    assetHeaders: cacheTagHeaders(cacheTagsFor({ organizationId: asset.organizationId, spaceId: asset.spaceId, assetId: asset.assetId }), deps.cacheTagHeaders),
  };
  deps.catalog.resolutions.set(pathname, claims, request.headers, resolution, deps.catalog.lifetimeLeftMs(path, claims));
  return resolution;
}

/**
 * One message for every not-found of the image route (unknown space, asset, version, wrong space,
 * private under pub): which one it was would tell a prober what exists.
 */
const IMAGE_NOT_FOUND = 'no such image';

async function imageLookup<T>(lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (error) {
    if (isImgplaneError(error) && error.code === 'not_found') throw notFound(IMAGE_NOT_FOUND);
    throw error;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}
