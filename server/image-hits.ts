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
 * (platform/limits/limits.ts). Its deliveries, usage and variant access are counted as two
 * numbers per variant, its duration as a bucket count (platform/histogram-tally.ts), and both are
 * handed to their recorders when those are flushed or scraped (core/pending-counts.ts): per hit,
 * building the recorders' keys, rows and label hashes cost more than a third of the path's own CPU.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { PendingCounts } from '../core/pending-counts.ts';
import { PUBLIC_PREFIX } from '../core/delivery-path.ts';
import type { CachedVariant } from '../core/cache/types.ts';
import type { DeliveryCatalog } from '../platform/delivery/catalog.ts';
import type { Resolution } from '../platform/delivery/resolutions.ts';
import type { VariantService } from '../platform/delivery/variants.ts';
import { HistogramTally } from '../platform/histogram-tally.ts';
import { HTTP_DURATION_BUCKETS } from '../platform/metrics.ts';
import { ANONYMOUS } from '../platform/request-context.ts';
import {
  bodyBytesSent,
  bodyHeaders,
  cacheControlFor,
  countDeliveries,
  PUBLIC_IMAGE_ROUTE,
  requestDependent,
  variantHeaders,
  type Answers,
  type DeliveryCounters,
} from './image-response.ts';
import { IMAGE_SECURITY_HEADERS } from './security-headers.ts';
import { REQUEST_ID_HEADER, requestId } from './request-log.ts';
import { isDraining } from './drain.ts';

export interface MemoryHitDeps extends DeliveryCounters {
  catalog: DeliveryCatalog;
  variants: VariantService;
  pendingCounts: PendingCounts;
}

const HIT = { layer: 'hit-memory', timings: {}, transformMs: 0 } as const;

/** One variant's answer as a flat header list ([name, value, name, value, ...]), built once. */
interface PreparedHit {
  resolution: Resolution;
  /** The variant, as `countDeliveries` counts its answers. */
  delivery: typeof HIT & { variant: CachedVariant; variantKey: string };
  notModified: readonly string[];
  ok: readonly string[];
  /** Answers given since they were last handed to the recorders. */
  answers: Answers;
}

type AnswerMethod = 'GET' | 'HEAD';
type AnswerStatus = 200 | 304;

/** The durations of this path's answers with one method and status, as one series of the HTTP histogram. */
interface DurationSeries {
  labels: { method: AnswerMethod; route: typeof PUBLIC_IMAGE_ROUTE; status: string };
  tally: HistogramTally;
}

function durationSeries(): Record<AnswerMethod, Record<AnswerStatus, DurationSeries>> {
  const series = (method: AnswerMethod, status: AnswerStatus): DurationSeries => ({
    labels: { method, route: PUBLIC_IMAGE_ROUTE, status: String(status) },
    tally: new HistogramTally(HTTP_DURATION_BUCKETS),
  });
  return { GET: { 200: series('GET', 200), 304: series('GET', 304) }, HEAD: { 200: series('HEAD', 200), 304: series('HEAD', 304) } };
}

export class MemoryHitPath {
  /** Per resolution (one URL, per Accept for fmt_auto), the answer for the variant last found. */
  readonly #prepared = new WeakMap<Resolution, PreparedHit>();
  /** Prepared answers given since the last fold. */
  #answered: PreparedHit[] = [];
  readonly #durations = durationSeries();
  readonly #unregister: () => void;

  constructor(
    private readonly deps: MemoryHitDeps,
    /** The Fastify app (its logger and drain state), which exists only once it is built. */
    private readonly app: () => FastifyInstance,
  ) {
    this.#unregister = deps.pendingCounts.register(() => this.#fold());
  }

  /** Hands what is still counted here to the recorders, and stops counting (the app closes). */
  close(): void {
    this.#fold();
    this.#unregister();
  }

  /** Answers the request and says true, or says false and leaves it to Fastify. */
  serve(request: IncomingMessage, response: ServerResponse): boolean {
    const started = performance.now();
    const { method, url } = request;
    if ((method !== 'GET' && method !== 'HEAD') || url === undefined || !url.startsWith(PUBLIC_PREFIX) || url.includes('?')) return false;
    const resolution = this.deps.catalog.resolutions.get(url, ANONYMOUS, request.headers);
    if (resolution === undefined) return false;
    const variant = this.deps.variants.inMemory(resolution.cacheKey);
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
    const status = notModified ? 304 : 200;
    const bytesSent = bodyBytesSent(method, notModified, variant);
    response.writeHead(status, headers);
    response.end(bytesSent === 0 ? undefined : variant.body);

    if (prepared.answers.count++ === 0) this.#answered.push(prepared);
    prepared.answers.bytesSent += bytesSent;
    const responseTime = performance.now() - started;
    this.#durations[method][status].tally.observe(responseTime / 1000);
    app.log.info({ reqId: id, req: request, res: response, responseTime }, 'request completed');
    return true;
  }

  #fold(): void {
    const answered = this.#answered;
    this.#answered = [];
    for (const prepared of answered) {
      countDeliveries(this.deps, prepared.resolution, prepared.delivery, prepared.answers);
      prepared.answers = { count: 0, bytesSent: 0 };
    }
    for (const byStatus of Object.values(this.#durations)) {
      for (const { labels, tally } of Object.values(byStatus)) tally.foldInto(this.deps.metrics.httpDuration, labels);
    }
  }

  #prepare(resolution: Resolution, variant: CachedVariant): PreparedHit {
    const known = this.#prepared.get(resolution);
    if (known?.delivery.variant === variant) return known;
    const delivery = { ...HIT, variant, variantKey: resolution.variantKey };
    const common = { ...IMAGE_SECURITY_HEADERS, ...variantHeaders(resolution, delivery, cacheControlFor(resolution.path, resolution.space.policy, undefined)) };
    const prepared = {
      resolution,
      delivery,
      answers: { count: 0, bytesSent: 0 },
      notModified: Object.entries(common).flat(),
      ok: Object.entries({ ...common, ...bodyHeaders(delivery) }).flat(),
    };
    this.#prepared.set(resolution, prepared);
    return prepared;
  }
}
