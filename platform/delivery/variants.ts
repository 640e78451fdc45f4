/**
 * Finds or makes the bytes of one variant. Lookup order: in-process memory (synchronous, no I/O)
 * → shared Redis cache → registry (`derived_assets`) + storage → transform. A miss is
 * single-flight inside the process and takes a keyed lock across processes; the lock is for
 * efficiency only — a lost race re-renders the same deterministic bytes to the same
 * content-addressed key and `register_variant()` turns the second registration into a no-op.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { CachedVariant, SharedVariantCache } from '../../core/cache/types.ts';
import type { ImgplaneError } from '../../core/errors.ts';
import type { MemoryVariantCache } from '../../core/cache/memory.ts';
import type { KeyedLock } from '../../core/lock/types.ts';
import type { SingleFlight } from '../../core/lock/single-flight.ts';
import type { TransformOps } from '../../core/ops/types.ts';
import { variantKey } from '../../core/ops/index.ts';
import { assertWithinBudget, type TransformEstimate } from '../../core/pipeline/budget.ts';
import type { TransformLimiter } from '../../core/pipeline/limiter.ts';
import type { TransformRunner } from '../../core/pipeline/process-pool.ts';
import type { EncoderSettings, TransformLimits, TransformResult } from '../../core/pipeline/types.ts';
import type { EffectivePolicy, OutputFormat } from '../../core/policy.ts';
import { StorageNotFoundError, type ObjectStore } from '../../core/storage/types.ts';
import type { Metrics } from '../metrics.ts';
import { variantCacheKey } from './cache-key.ts';
import type { AssetVersion } from './catalog.ts';
import type { OriginalSource } from './originals.ts';

export type CacheLayer = 'hit-memory' | 'hit-redis' | 'hit-storage' | 'miss';

export interface Delivery {
  /** The variant's key in the registry and every cache. */
  variantKey: string;
  variant: CachedVariant;
  layer: CacheLayer;
  /** Stage → milliseconds, for Server-Timing. */
  timings: Record<string, number>;
  /** Encoder CPU spent on this request (0 unless it rendered the variant). */
  transformMs: number;
  /**
   * Settles once a newly rendered variant is in storage and the registry (never rejects: a failed
   * store is logged and the variant is simply rendered again later). Already settled for hits.
   */
  persisted: Promise<void>;
  /**
   * A stand-in: the next format the client takes, answered while the negotiated one (an AVIF
   * too slow to render inline) renders in the background. To be cached briefly.
   */
  provisional?: true;
}

const SETTLED: Promise<void> = Promise.resolve();

/** A variant found in a cache or storage rather than rendered: nothing of it is left to store. */
function found(variantKey: string, variant: CachedVariant, layer: Exclude<CacheLayer, 'miss'>, timings: Record<string, number> = {}): Delivery {
  return { variantKey, variant, layer, timings, transformMs: 0, persisted: SETTLED };
}

export interface VariantPlan {
  ops: TransformOps;
  canonical: string;
}

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  gif: 'image/gif',
};

export const FILE_EXTENSIONS: Record<OutputFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  gif: 'gif',
};

export interface VariantServiceDeps {
  /** Connections that run as imgplane_worker (the registry is server-internal, after access checks). */
  workerPool: pg.Pool;
  storage: ObjectStore;
  originals: OriginalSource;
  memory: MemoryVariantCache;
  shared: SharedVariantCache | undefined;
  singleFlight: SingleFlight;
  lock: KeyedLock;
  limiter: TransformLimiter;
  /** Where transforms run: child processes that are killed at their deadline. */
  transforms: TransformRunner;
  metrics: Metrics;
  /** Where failures of the write-behind store go (the variant was already served). */
  logError: (message: string, error: unknown) => void;
}

interface RegistryRow {
  storage_key: string;
  content_hash: string;
  output_format: OutputFormat;
}

const strongEtag = (contentHash: string) => `"${contentHash}"`;
const sha256Hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * What a request must pass before work is done for it (platform/limits/): a memory-cache hit
 * passes nothing, so it pays no limiter round trip.
 */
export interface DeliveryGate {
  /** Before anything beyond the memory cache; every request, including those joining a flight. */
  beforeSlowPath(): Promise<void>;
  /** Before a render, once per render (under the variant's lock). */
  beforeRender(): Promise<void>;
  /** After that render, with its transform time. */
  afterRender(transformMs: number): void;
}

export class VariantService {
  /** Stores still running after their response went out; `settled()` waits for them. */
  private readonly pending = new Set<Promise<void>>();
  /**
   * Variants rendered here whose store and registration are still running (write-behind), by
   * cache key. The variant's lock is held until they finish, so a request for it normally finds
   * it registered; but with Redis down the lock holds nobody back, and nothing else has it yet
   * (the memory cache admits from the second request, the registry has no row): such a request
   * rendered it again.
   */
  private readonly unstored = new Map<string, CachedVariant>();

  constructor(private readonly deps: VariantServiceDeps) {}

  /** Resolves when every variant rendered so far is stored and registered (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /**
   * The memory-cache hit path: synchronous, so a hit costs no await at all. `cacheKey` is the
   * organisation-scoped key (cache-key.ts) a resolution keeps, so a hit builds no key either.
   */
  inMemory(cacheKey: string): CachedVariant | undefined {
    return this.deps.memory.get(cacheKey);
  }

  private fromMemory(key: string, cacheKey: string): Delivery | undefined {
    const variant = this.deps.memory.get(cacheKey);
    return variant && found(key, variant, 'hit-memory');
  }

  /** A variant rendered here and still being stored; asked for again, the memory cache admits it. */
  private fromUnstored(key: string, cacheKey: string): Delivery | undefined {
    const variant = this.unstored.get(cacheKey);
    if (!variant) return undefined;
    this.deps.memory.set(cacheKey, variant);
    return found(key, variant, 'hit-memory');
  }

  keyFor(asset: AssetVersion, plan: VariantPlan): string {
    return variantKey(plan.canonical, asset.contentHash, plan.ops.format);
  }

  /**
   * Delivers one variant. `receivedAt` (performance.now() when the request arrived) starts the
   * transform's time budget, so queue and lock waits count against it.
   */
  async deliver(
    asset: AssetVersion,
    plan: VariantPlan,
    policy: EffectivePolicy,
    receivedAt = performance.now(),
    gate?: DeliveryGate,
  ): Promise<Delivery> {
    return this.deliverKeyed(asset, plan, this.keyFor(asset, plan), policy, receivedAt, gate);
  }

  /**
   * Delivers a variant whose format `fmt_auto` chose, without making the first client wait for a
   * slow AVIF: an AVIF that exists nowhere yet and whose estimated transform exceeds the policy's
   * `avif_first_response_budget_ms` is answered with `standIn()` (the next format the client
   * takes) marked provisional, while the AVIF renders in the background: once per process (single
   * flight) and once across instances (the keyed lock, then the registry). Later requests find it.
   * Any plan may come this way: `standIn` answers undefined unless fmt_auto chose the format, so an
   * explicit `.avif` or `fmt_avif` renders inline.
   */
  async deliverNegotiated(
    asset: AssetVersion,
    plan: VariantPlan,
    standIn: () => VariantPlan | undefined,
    policy: EffectivePolicy,
    receivedAt = performance.now(),
    /** The request's gate, or what makes it: a memory hit then never builds one. */
    gateSource?: DeliveryGate | (() => DeliveryGate),
    /** The plan's variant key when the caller has it already (a remembered resolution). */
    key = this.keyFor(asset, plan),
  ): Promise<Delivery> {
    const cacheKey = organizationScoped(asset, key);
    const hit = this.fromMemory(key, cacheKey);
    if (hit) return hit;
    const gate = typeof gateSource === 'function' ? gateSource() : gateSource;
    if (plan.ops.format !== 'avif' || isPassThrough(asset, plan.ops)) {
      return this.deliverKeyed(asset, plan, key, policy, receivedAt, gate);
    }
    // Over a limit is the same 400 as when rendering inline; within it, is it quick enough?
    if (this.withinBudget(asset, plan, policy).cost <= policy.avif_first_response_budget_ms) {
      return this.deliverKeyed(asset, plan, key, policy, receivedAt, gate);
    }
    const alternative = standIn();
    if (!alternative) return this.deliverKeyed(asset, plan, key, policy, receivedAt, gate);
    await gate?.beforeSlowPath();
    const admitted = gate && alreadyAdmitted(gate);
    if (!this.deps.singleFlight.has(cacheKey)) {
      const stored = await this.findRendered(asset, key, cacheKey);
      if (stored) return stored;
      this.renderInBackground(asset, plan, policy, admitted);
    }
    const delivery = await this.deliver(asset, alternative, policy, receivedAt, admitted);
    return { ...delivery, provisional: true };
  }

  private async deliverKeyed(
    asset: AssetVersion,
    plan: VariantPlan,
    key: string,
    policy: EffectivePolicy,
    receivedAt: number,
    gate: DeliveryGate | undefined,
  ): Promise<Delivery> {
    const cacheKey = organizationScoped(asset, key);
    const hit = this.fromMemory(key, cacheKey);
    if (hit) return hit;
    if (gate) await gate.beforeSlowPath();
    return this.deps.singleFlight.run(cacheKey, () => this.slowPath(key, cacheKey, asset, plan, policy, receivedAt, gate));
  }

  private async slowPath(
    key: string,
    cacheKey: string,
    asset: AssetVersion,
    plan: VariantPlan,
    policy: EffectivePolicy,
    receivedAt: number,
    gate: DeliveryGate | undefined,
  ): Promise<Delivery> {
    const timings: Record<string, number> = {};
    const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await work();
      } finally {
        timings[stage] = (timings[stage] ?? 0) + performance.now() - started;
      }
    };

    if (isPassThrough(asset, plan.ops)) {
      const body = await timed('storage', () => this.deps.storage.getBuffer(asset.storageKey));
      const variant = { body, contentType: CONTENT_TYPES[plan.ops.format], etag: strongEtag(asset.contentHash) };
      this.remember(cacheKey, variant, false);
      return found(key, variant, 'hit-storage', timings);
    }

    // Refused in microseconds from the stored sizes, before any lock, queue or pixel.
    this.withinBudget(asset, plan, policy);

    const shared = this.deps.shared && (await timed('redis', () => this.deps.shared!.get(cacheKey)));
    if (shared) {
      this.deps.memory.set(cacheKey, shared);
      return found(key, shared, 'hit-redis', timings);
    }

    // The registry is read under the lock: uncontended it costs nothing, and when another process
    // is rendering this variant we wait for it and find its result instead of rendering it again.
    // A new variant is answered as soon as it is rendered; storing and registering it happen after
    // (write-behind), still under the lock, so other processes wait for the stored result.
    const answered = Promise.withResolvers<Delivery>();
    this.deps.lock
      .withLock(cacheKey, async () => {
        // The lock is held until the store is done; without Redis it holds nobody back.
        const unstored = this.fromUnstored(key, cacheKey);
        if (unstored) return answered.resolve(unstored);
        const stored = await timed('registry', () => this.fromRegistry(asset, key));
        if (stored) {
          this.remember(cacheKey, stored, true);
          answered.resolve(found(key, stored, 'hit-storage', timings));
          return;
        }
        await gate?.beforeRender();
        const rendered = await this.render(asset, plan, policy, timings, receivedAt + policy.transform_timeout_ms);
        gate?.afterRender(rendered.transformMs);
        const contentHash = sha256Hex(rendered.data);
        const variant = { body: rendered.data, contentType: rendered.contentType, etag: strongEtag(contentHash) };
        this.remember(cacheKey, variant, true);
        this.unstored.set(cacheKey, variant);
        const persisted = this.track(this.persist(key, asset, plan, rendered, contentHash));
        void persisted.finally(() => this.unstored.delete(cacheKey));
        answered.resolve({ variantKey: key, variant, layer: 'miss', timings, transformMs: rendered.transformMs, persisted });
        await persisted;
      })
      .catch(answered.reject); // after an answer this is a no-op: persist failures never reject
    return answered.promise;
  }

  /**
   * A variant another request or instance already rendered (Redis, then the registry and
   * storage), without waiting for a lock or rendering anything.
   */
  private async findRendered(asset: AssetVersion, key: string, cacheKey: string): Promise<Delivery | undefined> {
    const timings: Record<string, number> = {};
    const started = performance.now();
    const shared = await this.deps.shared?.get(cacheKey);
    timings.redis = performance.now() - started;
    if (shared) {
      this.deps.memory.set(cacheKey, shared);
      return found(key, shared, 'hit-redis', timings);
    }
    const stored = await this.fromRegistry(asset, key);
    timings.registry = performance.now() - started - timings.redis;
    if (!stored) return undefined;
    this.remember(cacheKey, stored, true);
    return found(key, stored, 'hit-storage', timings);
  }

  /** Renders (or, on another instance's heels, finds) the variant with no client waiting for it. */
  private renderInBackground(asset: AssetVersion, plan: VariantPlan, policy: EffectivePolicy, gate: DeliveryGate | undefined): void {
    const rendering = this.deliver(asset, plan, policy, performance.now(), gate).then((delivery) => delivery.persisted);
    this.track(rendering, 'rendering a variant in the background failed');
  }

  private withinBudget(asset: AssetVersion, plan: VariantPlan, policy: EffectivePolicy): TransformEstimate {
    try {
      return assertWithinBudget(asset, plan.ops, encoderSettings(policy), transformLimits(policy));
    } catch (error) {
      const limit = (error as ImgplaneError).detail?.limit;
      this.deps.metrics.budgetRefusals.inc({ limit: typeof limit === 'string' ? limit : 'unknown' });
      throw error;
    }
  }

  private track(storing: Promise<void>, failure = 'storing a rendered variant failed'): Promise<void> {
    const persisted = storing.catch((error: unknown) => this.deps.logError(failure, error));
    this.pending.add(persisted);
    void persisted.finally(() => this.pending.delete(persisted));
    return persisted;
  }

  /**
   * Transforms the original (from memory or a streamed temp file) within the limiter's bounds, in
   * a child process that is killed at `deadlineAt` (queue wait included).
   */
  private async render(
    asset: AssetVersion,
    plan: VariantPlan,
    policy: EffectivePolicy,
    timings: Record<string, number>,
    deadlineAt: number,
  ): Promise<TransformResult & { transformMs: number }> {
    const fetchStarted = performance.now();
    const deadline = { deadlineAt, timeoutMs: policy.transform_timeout_ms };
    return this.deps.originals.use(asset.storageKey, asset.sizeBytes, async (original) => {
      timings.original = performance.now() - fetchStarted;
      const started = performance.now();
      const request = { input: original, ops: plan.ops, encoder: encoderSettings(policy), limits: transformLimits(policy) };
      const result = await this.deps.limiter.run(() => this.deps.transforms.transform(request, deadline), deadline);
      const transformMs = performance.now() - started;
      timings.transform = transformMs;
      this.deps.metrics.transforms.inc({ format: result.format });
      this.deps.metrics.transformDuration.observe({ format: result.format }, transformMs / 1000);
      return { ...result, transformMs };
    });
  }

  /** Stores the bytes at their content-addressed key, then registers them (an idempotent upsert). */
  private async persist(
    key: string,
    asset: AssetVersion,
    plan: VariantPlan,
    rendered: TransformResult & { transformMs: number },
    contentHash: string,
  ): Promise<void> {
    const storageKey = `variants/${asset.organizationId}/${key}.${FILE_EXTENSIONS[rendered.format]}`;
    await this.deps.storage.put(storageKey, rendered.data, { contentType: rendered.contentType, sha256: contentHash });
    await this.deps.workerPool.query('select 1 from imgplane.register_variant($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)', [
      asset.assetId,
      asset.version,
      key,
      plan.canonical,
      rendered.format,
      this.deps.storage.provider,
      storageKey,
      rendered.data.length,
      contentHash,
      rendered.width,
      rendered.height,
      Math.round(rendered.transformMs),
    ]);
  }

  private async fromRegistry(asset: AssetVersion, key: string): Promise<CachedVariant | undefined> {
    const { rows } = await this.deps.workerPool.query<RegistryRow>(
      'select storage_key, content_hash, output_format from imgplane.derived_assets where asset_id = $1 and variant_key = $2',
      [asset.assetId, key],
    );
    const row = rows[0];
    if (!row) return undefined;
    try {
      const body = await this.deps.storage.getBuffer(row.storage_key);
      return { body, contentType: CONTENT_TYPES[row.output_format], etag: strongEtag(row.content_hash.trim()) };
    } catch (error) {
      // A registered variant whose bytes are gone (pruned, lost bucket) is simply rendered again.
      if (error instanceof StorageNotFoundError) return undefined;
      throw error;
    }
  }

  private remember(cacheKey: string, variant: CachedVariant, share: boolean): void {
    this.deps.memory.set(cacheKey, variant);
    if (share && this.deps.shared) void this.deps.shared.set(cacheKey, variant);
  }
}

/**
 * The gate of a request that already passed its slow-path admission (a rate limit counts the
 * request once): renders done for it still pass the render quotas.
 */
function alreadyAdmitted(gate: DeliveryGate): DeliveryGate {
  return {
    beforeSlowPath: async () => undefined,
    beforeRender: () => gate.beforeRender(),
    afterRender: (transformMs) => gate.afterRender(transformMs),
  };
}

/**
 * Cache, lock and single-flight keys carry the organisation: a variant key is a hash of content
 * and ops, so unscoped, a hit would tell one organisation which bytes (and sizes) another views.
 */
function organizationScoped(asset: Pick<AssetVersion, 'organizationId'>, key: string): string {
  return variantCacheKey(asset.organizationId, key);
}

function encoderSettings(policy: EffectivePolicy): EncoderSettings {
  return {
    avifEffort: policy.avif_effort,
    webpEffort: policy.webp_effort,
    pngCompressionLevel: policy.png_compression_level,
    jpegEncoder: policy.jpeg_encoder,
  };
}

function transformLimits(policy: EffectivePolicy): TransformLimits {
  return {
    maxInputPixels: policy.max_input_pixels,
    maxFrames: policy.max_frames,
    timeoutMs: policy.transform_timeout_ms,
    maxOutputPixels: policy.max_output_pixels,
    maxCost: policy.max_transform_cost,
  };
}

/** `original` in the stored format: the uploaded bytes are the answer, untouched. */
function isPassThrough(asset: AssetVersion, ops: TransformOps): boolean {
  return ops.original && ops.format === asset.format;
}
