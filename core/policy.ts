/**
 * The policy schema: every key a policy may set, each declared once in POLICY_SCHEMA with its
 * kind, its built-in default and its validation.
 *
 * Two kinds of key:
 * - a *preference* (qualities, formats, TTL defaults, default access): the nearest scope that sets
 *   it wins (space over tenant over organisation over platform);
 * - a *limit* (pixels, sizes, frames, timeouts, efforts, upload bytes, rates, quotas): smaller is
 *   tighter, and a scope may only tighten what the scopes above it allow. The value in force is
 *   the smallest set along platform > organisation > tenant > space, and no scope may store a value
 *   above the ceiling the scopes above it set (the platform maximum at the top).
 * A limit declared `organizationOnly` (rates, quotas) is counted per organisation, so it may be set
 * at organisation scope only.
 *
 * The SQL side (imgplane.policy_keys, effective_policy()) is synced from this file on every
 * `applyDatabase`; the platform operator overrides the built-in defaults and maxima in SQL.
 * `resolvePolicy` validates what SQL returns, so code downstream reads a complete, typed object.
 *
 * Adding a key: one entry in POLICY_SCHEMA, `preference(...)` or `limit(...)`.
 */
import { ImgplaneError } from './errors.ts';

export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Input formats we can decode (sharp's names). SVG is further gated by `allow_svg`. */
const INPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'svg'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export const JPEG_ENCODERS = ['turbo', 'mozjpeg'] as const;
export type JpegEncoder = (typeof JPEG_ENCODERS)[number];

export type PolicyKind = 'preference' | 'limit';

type Validator = (value: unknown) => boolean;

interface KeySpecBase<T> {
  kind: PolicyKind;
  /** Built-in platform default (the operator may override it in imgplane.policy_keys). */
  default: T;
  check: Validator;
  /** Completes "policy "<key>" must be …" in the 400 for a value that fails `check`. */
  expects: string;
}

export interface PreferenceSpec<T> extends KeySpecBase<T> {
  kind: 'preference';
}

export interface LimitSpec<T extends number | boolean> extends KeySpecBase<T> {
  kind: 'limit';
  /** Built-in platform maximum: the ceiling of every organisation (the operator may change it). */
  maximum: T;
  /** Counted per organisation (rates, quotas): settable at organisation scope only. */
  organizationOnly: boolean;
}

export type KeySpec = PreferenceSpec<unknown> | LimitSpec<number | boolean>;

function preference<T>(defaultValue: T, check: Validator, expects: string): PreferenceSpec<T> {
  return { kind: 'preference', default: defaultValue, check, expects };
}

interface Bounds {
  min: number;
  /** Largest value the type allows (validation), usually above `maximum`. */
  max: number;
  unit?: string;
}

/** An integer limit: smaller is tighter. */
function limit(defaultValue: number, maximum: number, bounds: Bounds, options: { organizationOnly?: boolean } = {}): LimitSpec<number> {
  return {
    kind: 'limit',
    default: defaultValue,
    maximum,
    organizationOnly: options.organizationOnly ?? false,
    check: integerIn(bounds.min, bounds.max),
    expects: `an integer from ${bounds.min} to ${bounds.max}${bounds.unit ? ` (${bounds.unit})` : ''}`,
  };
}

/** A permission as a limit: false is tighter than true, so a scope may turn it off, never on. */
function permission(defaultValue: boolean, maximum: boolean): LimitSpec<boolean> {
  return { kind: 'limit', default: defaultValue, maximum, organizationOnly: false, check: (value) => typeof value === 'boolean', expects: 'true or false' };
}

function integerIn(min: number, max: number): Validator {
  return (value) => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** An origin as browsers send it in `Origin`: scheme, lowercase host (or [IPv6]), optional port. */
const WEB_ORIGIN = /^https?:\/\/(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))*)(?::[0-9]{1,5})?$/;

const DAY = 86_400;
const GIB = 1024 ** 3;

export const POLICY_SCHEMA = {
  /** Largest output width (after dpr) a URL may ask for. */
  max_width: limit(4096, 8192, { min: 1, max: 16_384 }),
  /** Largest output height (after dpr) a URL may ask for. */
  max_height: limit(4096, 8192, { min: 1, max: 16_384 }),
  /** Output formats URLs may ask for (and fmt_auto may pick). */
  allowed_formats: preference<OutputFormat[]>(
    [...OUTPUT_FORMATS],
    (value) =>
      Array.isArray(value) && value.length > 0 && value.every((format) => (OUTPUT_FORMATS as readonly unknown[]).includes(format)),
    `a non-empty array of ${OUTPUT_FORMATS.join(', ')}`,
  ),
  /** Largest original accepted at upload, in bytes. */
  max_upload_bytes: limit(25 * 1024 * 1024, 100 * 1024 * 1024, { min: 1, max: 2 ** 40, unit: 'bytes' }),
  /** Largest decoded pixel count (width x height x frames) accepted, checked from the header. */
  max_input_pixels: limit(50_000_000, 100_000_000, { min: 1, max: 2 ** 40, unit: 'pixels' }),
  /** Most animation frames accepted at upload and kept in animated output. */
  max_frames: limit(100, 1000, { min: 1, max: 10_000 }),
  /** Whether SVG originals are accepted (they are rasterised with no external fetches). */
  allow_svg: permission(false, true),
  /** Wall-clock budget of one transform, in milliseconds. */
  transform_timeout_ms: limit(15_000, 30_000, { min: 100, max: 300_000, unit: 'milliseconds' }),
  /**
   * Largest output of one transform, width x height x frames kept, after `up`, dpr and the fit:
   * checked before any pixel work (core/pipeline/budget.ts).
   */
  max_output_pixels: limit(50_000_000, 100_000_000, { min: 1, max: 2 ** 40, unit: 'pixels' }),
  /**
   * Most estimated work of one transform, in reference milliseconds (one core of the machine the
   * estimates in core/pipeline/budget.ts were measured on): blur and sharpen scale with their sigma
   * and the pixels they touch, AVIF and WebP with their effort and lossless mode, png8 with its
   * palette search, trim with the region it scans, colour adjustments with the output. Checked
   * before any pixel work.
   */
  max_transform_cost: limit(15_000, 120_000, { min: 1, max: 10_000_000, unit: 'reference milliseconds' }),
  /** Encoder effort per format (higher is slower and smaller; see STACK-NOTES encoder costs). */
  avif_effort: limit(2, 4, { min: 0, max: 9 }),
  webp_effort: limit(4, 6, { min: 0, max: 6 }),
  png_compression_level: limit(6, 9, { min: 0, max: 9 }),
  /** Quality used by `q_auto` (and when no `q_` is given), per output format. */
  quality_jpeg: preference(80, integerIn(1, 100), 'an integer from 1 to 100'),
  quality_webp: preference(80, integerIn(1, 100), 'an integer from 1 to 100'),
  quality_avif: preference(55, integerIn(1, 100), 'an integer from 1 to 100'),
  /**
   * JPEG encoder: `turbo` (libjpeg-turbo settings, the fast default) or `mozjpeg` (trellis
   * quantisation, optimised Huffman tables; measured here about 20% smaller and twice as slow,
   * bench/jpeg-encoders.ts). An encoder setting like the efforts: it is not part of a variant's
   * identity, so variants rendered before a change keep their bytes.
   */
  jpeg_encoder: preference<JpegEncoder>('turbo', (value) => (JPEG_ENCODERS as readonly unknown[]).includes(value), `one of ${JPEG_ENCODERS.join(', ')}`),
  /** Whether JPEGs are progressive without `prog` in the URL (it then appears in their canonical string). */
  jpeg_progressive: preference(false, (value) => typeof value === 'boolean', 'true or false'),
  /**
   * How long a first `fmt_auto` response may wait for an AVIF encode (estimated, in the reference
   * milliseconds of core/pipeline/budget.ts). An AVIF not rendered yet and estimated over this is
   * answered in the next format the client takes while the AVIF renders in the background (once
   * across instances); later requests get the AVIF. 0: always so; explicit `.avif`/`fmt_avif` always wait.
   */
  avif_first_response_budget_ms: preference(800, integerIn(0, 600_000), 'milliseconds, 0 to 600000'),
  /** `Cache-Control: max-age` of those stand-in answers (seconds), short so caches come back for the AVIF. */
  avif_stand_in_max_age_seconds: preference(60, integerIn(0, DAY), 'seconds, 0 to 86400'),
  /** Signed URL lifetime when the request names none (seconds). */
  signed_url_ttl_default_seconds: preference(3600, integerIn(1, 365 * DAY), 'seconds, 1 to 31536000'),
  /** The longest lifetime a signed URL may ask for (seconds): a limit, so a tenant cannot lengthen it. */
  signed_url_ttl_max_seconds: limit(DAY, 365 * DAY, { min: 1, max: 365 * DAY, unit: 'seconds' }),
  /** How long a rotated-out signing key's signatures still verify (seconds). */
  signing_key_grace_seconds: preference(DAY, integerIn(0, 365 * DAY), 'seconds, 0 to 31536000'),
  /**
   * `max-age` of `latest` URLs (seconds): how long a CDN or browser may keep serving a version that
   * is no longer current. The origin itself answers the new version at once.
   */
  latest_max_age: preference(60, integerIn(0, 365 * DAY), 'seconds, 0 to 31536000'),
  /** `stale-while-revalidate` of `latest` URLs (seconds): a cache may answer the old version while it refetches. */
  latest_stale_while_revalidate: preference(60, integerIn(0, 365 * DAY), 'seconds, 0 to 31536000'),
  /** Access given to uploads that do not say `access`. */
  default_access: preference<'public' | 'private'>('public', (value) => value === 'public' || value === 'private', '"public" or "private"'),
  /**
   * Web origins (`https://shop.example.com`, lowercase, no path) whose pages may read this space's
   * images from scripts (canvas, fetch) and call the API from a browser: they get
   * `Access-Control-Allow-Origin`. `["*"]` allows every origin; empty (the default) allows none.
   */
  cors_allowed_origins: preference<string[]>(
    [],
    (value) => Array.isArray(value) && value.length <= 100 && value.every((origin) => typeof origin === 'string' && (origin === '*' || WEB_ORIGIN.test(origin))),
    'a list of at most 100 origins such as "https://www.example.com" (scheme, host, optional port; lowercase) or ["*"]',
  ),

  // Rates (platform/limits/): requests per minute, counted across all instances.
  /** Anonymous requests that cause work (variant misses), per client address and organisation. */
  rate_anonymous_per_minute: limit(300, 6000, { min: 1, max: 1_000_000, unit: 'requests per minute' }, { organizationOnly: true }),
  /** Requests made with one API key (uploads, API and GraphQL calls). */
  rate_api_key_per_minute: limit(1200, 60_000, { min: 1, max: 1_000_000, unit: 'requests per minute' }, { organizationOnly: true }),
  /** Work-causing requests of a whole organisation (misses, uploads, API and GraphQL calls). */
  rate_organization_per_minute: limit(6000, 120_000, { min: 1, max: 10_000_000, unit: 'requests per minute' }, { organizationOnly: true }),

  // Quotas (platform/limits/), per organisation.
  /** Bytes stored: originals and rendered variants. */
  quota_storage_bytes: limit(100 * GIB, 1024 * GIB, { min: 0, max: 2 ** 50, unit: 'bytes' }, { organizationOnly: true }),
  /** Assets stored (not counting versions). */
  quota_assets: limit(1_000_000, 10_000_000, { min: 0, max: 2 ** 40 }, { organizationOnly: true }),
  /** Variants rendered per UTC day. */
  quota_variants_per_day: limit(100_000, 10_000_000, { min: 0, max: 2 ** 40 }, { organizationOnly: true }),
  /** Transform CPU time per UTC day, in seconds. */
  quota_transform_cpu_seconds_per_day: limit(36_000, 864_000, { min: 0, max: 2 ** 40, unit: 'seconds' }, { organizationOnly: true }),
} satisfies Record<string, KeySpec>;

type Schema = typeof POLICY_SCHEMA;
export type PolicyKey = keyof Schema;
export type EffectivePolicy = { -readonly [K in PolicyKey]: Schema[K]['default'] };

export const POLICY_KEYS = Object.keys(POLICY_SCHEMA) as PolicyKey[];

export const DEFAULT_POLICY: Readonly<EffectivePolicy> = Object.freeze(
  Object.fromEntries(POLICY_KEYS.map((key) => [key, POLICY_SCHEMA[key].default])) as EffectivePolicy,
);

export function isPolicyKey(key: string): key is PolicyKey {
  return Object.hasOwn(POLICY_SCHEMA, key);
}

export function policyKeySpec(key: PolicyKey): KeySpec {
  return POLICY_SCHEMA[key];
}

/** Validates one key/value pair as an admin sets it; throws a 400 naming the key otherwise. */
export function validatePolicyValue(key: string, value: unknown): void {
  if (!isPolicyKey(key)) {
    throw new ImgplaneError('bad_request', `unknown policy key "${key}"`, {
      detail: { key, known: POLICY_KEYS },
    });
  }
  const { check, expects } = POLICY_SCHEMA[key];
  if (!check(value)) {
    throw new ImgplaneError('bad_request', `policy "${key}" must be ${expects}`, {
      detail: { key, value },
    });
  }
}

/**
 * Completes the merged JSONB from `effective_policy()` with defaults. Values that fail validation
 * (possible only if someone wrote the table by hand) fall back to the default rather than break
 * image delivery.
 */
export function resolvePolicy(merged: Record<string, unknown> | null | undefined): EffectivePolicy {
  const policy: Record<string, unknown> = { ...DEFAULT_POLICY };
  for (const [key, value] of Object.entries(merged ?? {})) {
    if (isPolicyKey(key) && POLICY_SCHEMA[key].check(value)) policy[key] = value;
  }
  return policy as EffectivePolicy;
}
