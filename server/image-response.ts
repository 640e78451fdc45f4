/**
 * What an image answer says, whichever path sends it: the Fastify image route
 * (routes/images.ts) or the memory-hit path in front of it (image-hits.ts). Both build their
 * headers and count their deliveries here, so the two cannot drift apart
 * (test/http/memory-hit-path.test.ts compares them header by header).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { corsFor } from '../core/cors.ts';
import { LATEST, type DeliveryPath } from '../core/delivery-path.ts';
import { ACCEPT_CH } from '../core/ops/index.ts';
import type { SpaceContext } from '../platform/delivery/catalog.ts';
import type { Resolution } from '../platform/delivery/resolutions.ts';
import type { Delivery } from '../platform/delivery/variants.ts';
import type { VariantAccessRecorder } from '../platform/delivery/access-recorder.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { UsageRecorder } from '../platform/usage.ts';

/** The public image route, as Fastify registers it and as `imgplane_http_request_duration_seconds` labels it. */
export const PUBLIC_IMAGE_ROUTE = '/v1/pub/*';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * A numbered version never changes: public ones are immutable. `latest` changes with every new
 * version, so caches keep it for the space's `latest_max_age` only. A signed URL stays private
 * and is never cached past its expiry.
 */
export function cacheControlFor(path: DeliveryPath, policy: SpaceContext['policy'], secondsLeft: number | undefined): string {
  const latest = path.version === LATEST;
  if (secondsLeft !== undefined) return `private, max-age=${latest ? Math.min(secondsLeft, policy.latest_max_age) : secondsLeft}`;
  if (!latest) return IMMUTABLE;
  return `public, max-age=${policy.latest_max_age}, stale-while-revalidate=${policy.latest_stale_while_revalidate}`;
}

/** A stand-in for an AVIF still rendering is kept briefly, so caches come back for the AVIF. */
export function standInCacheControl(policy: SpaceContext['policy'], secondsLeft: number | undefined): string {
  const maxAge = policy.avif_stand_in_max_age_seconds;
  return secondsLeft === undefined ? `public, max-age=${maxAge}` : `private, max-age=${Math.min(secondsLeft, maxAge)}`;
}

/**
 * The headers of a variant's answer, 200 and 304 alike, except `Access-Control-Allow-Origin`
 * (it echoes the request's Origin: `requestDependent`): cache tags, validator, caching, `Vary` (every
 * request header the answer depends on: Accept when negotiated, each client hint read, Origin
 * under a list of allowed origins), client-hint opt-in and Server-Timing.
 */
export function variantHeaders(resolution: Resolution, delivery: Pick<Delivery, 'variant' | 'layer' | 'timings'>, cacheControl: string): Record<string, string> {
  const { plan, space } = resolution;
  const headers: Record<string, string> = {
    // Tags let a CDN purge every variant of the asset (or its space, organisation) at once.
    ...resolution.assetHeaders,
    etag: delivery.variant.etag,
    'cache-control': cacheControl,
    'x-cache': delivery.layer,
  };
  const vary = corsFor(undefined, space.policy.cors_allowed_origins).varyOrigin ? [...plan.vary, 'Origin'] : plan.vary;
  if (vary.length > 0) headers.vary = vary.join(', ');
  if (plan.clientHints) headers['accept-ch'] = ACCEPT_CH;
  const timing = serverTiming(delivery.timings);
  if (timing) headers['server-timing'] = timing;
  return headers;
}

/** What of a variant's answer depends on the request itself rather than on the variant. */
export interface RequestDependent {
  /** The request's If-None-Match names the variant: 304 without a body. */
  notModified: boolean;
  /** `Access-Control-Allow-Origin`, when the request's Origin may read the pixels (canvas, fetch). */
  allowOrigin: string | undefined;
}

export function requestDependent(resolution: Resolution, variant: Delivery['variant'], requestHeaders: IncomingHttpHeaders): RequestDependent {
  return {
    notModified: etagMatches(requestHeaders['if-none-match'], variant.etag),
    allowOrigin: corsFor(requestHeaders.origin, resolution.space.policy.cors_allowed_origins).allowOrigin,
  };
}

/** The headers only a 200 carries. */
export function bodyHeaders(delivery: Pick<Delivery, 'variant'>): Record<string, string> {
  return { 'content-type': delivery.variant.contentType, 'content-length': String(delivery.variant.body.length) };
}

function serverTiming(timings: Delivery['timings']): string {
  return Object.entries(timings)
    .map(([stage, ms]) => `${stage};dur=${ms.toFixed(1)}`)
    .join(', ');
}

/** RFC 9110 If-None-Match: `*` or a list of entity tags (weak comparison is allowed for GET). */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

export interface DeliveryCounters {
  usage: UsageRecorder;
  access: VariantAccessRecorder;
  metrics: Metrics;
}

/** Answers of one delivery: how many, and the body bytes they sent (none for HEAD and 304). */
export interface Answers {
  count: number;
  bytesSent: number;
}

/** One answer's body bytes: HEAD and 304 send none. */
export function bodyBytesSent(method: string, notModified: boolean, variant: Pick<Delivery['variant'], 'body'>): number {
  return method === 'HEAD' || notModified ? 0 : variant.body.length;
}

/** Counts answers of a delivery: the metric, the variant's accesses, the space's usage (all in memory). */
export function countDeliveries(
  { usage, access, metrics }: DeliveryCounters,
  resolution: Resolution,
  delivery: Pick<Delivery, 'layer' | 'variantKey' | 'transformMs'>,
  { count, bytesSent }: Answers,
): void {
  const miss = delivery.layer === 'miss';
  metrics.deliveries.inc({ cache: delivery.layer }, count);
  access.record(resolution.asset.assetId, delivery.variantKey, count);
  usage.record(resolution.space, {
    request_count: count,
    bandwidth_bytes: bytesSent,
    cache_hit_count: miss ? 0 : count,
    transform_count: miss ? count : 0,
    transform_cpu_ms: Math.round(delivery.transformMs),
  });
}
