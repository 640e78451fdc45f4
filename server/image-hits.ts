/**
 * The memory-hit path: a GET or HEAD of a public image URL that this process resolved before, and
 * whose variant is in its memory cache, is answered straight from node:http, before Fastify sees
 * the request. Such a hit is most of an image server's traffic and needs no routing, hooks,
 * validation or promise: one lookup of the URL, one of the variant, and headers built once per
 * variant. Everything else (a private URL, a query string, a URL not resolved yet, a variant not
 * in memory, a draining server) goes to Fastify untouched, and the image route does the same as
 * here, from the same header and counting functions (image-response.ts).
 *
 * What Fastify would have added is added here too: the security headers, the request id, the
 * request log line and the HTTP metrics. A memory hit passes no rate limit on either path
 * (platform/limits/limits.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { PUBLIC_PREFIX } from '../core/delivery-path.ts';
import type { CachedVariant } from '../core/cache/types.ts';
import type { DeliveryCatalog } from '../platform/delivery/catalog.ts';
import type { Resolution } from '../platform/delivery/resolutions.ts';
import type { VariantService } from '../platform/delivery/variants.ts';
import { ANONYMOUS } from '../platform/request-context.ts';
import {
  bodyHeaders,
  cacheControlFor,
  countDelivery,
  PUBLIC_IMAGE_ROUTE,
  requestDependent,
  variantHeaders,
  type DeliveryCounters,
} from './image-response.ts';
import { IMAGE_SECURITY_HEADERS } from './security-headers.ts';
import { REQUEST_ID_HEADER, requestId } from './request-log.ts';
import { isDraining } from './drain.ts';

export interface MemoryHitDeps extends DeliveryCounters {
  catalog: DeliveryCatalog;
  variants: VariantService;
}

const HIT = { layer: 'hit-memory', timings: {}, transformMs: 0 } as const;

/** One variant's answer as a flat header list ([name, value, name, value, ...]), built once. */
interface PreparedHit {
  /** The variant, as `countDelivery` counts each answer of it. */
  delivery: typeof HIT & { variant: CachedVariant; variantKey: string };
  notModified: readonly string[];
  ok: readonly string[];
}

export class MemoryHitPath {
  /** Per resolution (one URL, per Accept for fmt_auto), the answer for the variant last found. */
  readonly #prepared = new WeakMap<Resolution, PreparedHit>();

  constructor(
    private readonly deps: MemoryHitDeps,
    /** The Fastify app (its logger and drain state), which exists only once it is built. */
    private readonly app: () => FastifyInstance,
  ) {}

  /** Answers the request and says true, or says false and leaves it to Fastify. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const started = performance.now();
    const { method, url } = request;
    if ((method !== 'GET' && method !== 'HEAD') || url === undefined || !url.startsWith(PUBLIC_PREFIX) || url.includes('?')) return false;
    const resolution = this.deps.catalog.resolutions.get(url, ANONYMOUS, request.headers);
    if (resolution === undefined) return false;
    const variant = this.deps.variants.inMemory(resolution.asset, resolution.variantKey);
    if (variant === undefined) return false;
    const app = this.app();
    // Connection: close while draining is the drain hook's to add (server/drain.ts).
    if (isDraining(app)) return false;

    const prepared = this.#prepare(resolution, variant);
    const { notModified, allowOrigin } = requestDependent(resolution, variant, request.headers);
    const headers = [...(notModified ? prepared.notModified : prepared.ok)];
    const id = requestId(request);
    headers.push(REQUEST_ID_HEADER, id);
    if (allowOrigin !== undefined) headers.push('access-control-allow-origin', allowOrigin);
    response.writeHead(notModified ? 304 : 200, headers);
    response.end(notModified || method === 'HEAD' ? undefined : variant.body);

    countDelivery(this.deps, resolution, prepared.delivery, method);
    const responseTime = performance.now() - started;
    this.deps.metrics.httpDuration.observe({ method, route: PUBLIC_IMAGE_ROUTE, status: String(response.statusCode) }, responseTime / 1000);
    app.log.info({ reqId: id, req: request, res: response, responseTime }, 'request completed');
    return true;
  }

  #prepare(resolution: Resolution, variant: CachedVariant): PreparedHit {
    const known = this.#prepared.get(resolution);
    if (known?.delivery.variant === variant) return known;
    const delivery = { ...HIT, variant, variantKey: resolution.variantKey };
    const common = { ...IMAGE_SECURITY_HEADERS, ...variantHeaders(resolution, delivery, cacheControlFor(resolution.path, resolution.space.policy, undefined)) };
    const prepared = {
      delivery,
      notModified: Object.entries(common).flat(),
      ok: Object.entries({ ...common, ...bodyHeaders(delivery) }).flat(),
    };
    this.#prepared.set(resolution, prepared);
    return prepared;
  }
}
