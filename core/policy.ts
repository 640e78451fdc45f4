/**
 * The policy schema: every key a policy may set at organisation, tenant or space scope, its
 * default, and its validation. `effective_policy(space)` in SQL merges the stored JSONB (nearest
 * scope wins key by key); `resolvePolicy` fills in defaults and validates what came back, so code
 * downstream reads a complete, typed object.
 */
import { ImgplaneError } from './errors.ts';

export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Input formats we can decode (sharp's names). SVG is further gated by `allow_svg`. */
const INPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'svg'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface EffectivePolicy {
  /** Largest output width (after dpr) a URL may ask for. */
  max_width: number;
  /** Largest output height (after dpr) a URL may ask for. */
  max_height: number;
  /** Output formats URLs may ask for (and fmt_auto may pick). */
  allowed_formats: OutputFormat[];
  /** Largest original accepted at upload, in bytes. */
  max_upload_bytes: number;
  /** Largest decoded pixel count (width x height x frames) accepted, checked from the header. */
  max_input_pixels: number;
  /** Most animation frames accepted at upload and kept in animated output. */
  max_frames: number;
  /** Whether SVG originals are accepted (they are rasterised with no external fetches). */
  allow_svg: boolean;
  /** Wall-clock budget of one transform, in milliseconds. */
  transform_timeout_ms: number;
  /** Encoder effort per format (higher is slower and smaller; see STACK-NOTES encoder costs). */
  avif_effort: number;
  webp_effort: number;
  png_compression_level: number;
  /** Quality used by `q_auto` (and when no `q_` is given), per output format. */
  quality_jpeg: number;
  quality_webp: number;
  quality_avif: number;
  /** Signed URL lifetime when the request names none, and the most it may ask for (seconds). */
  signed_url_ttl_default_seconds: number;
  signed_url_ttl_max_seconds: number;
  /** How long a rotated-out signing key's signatures still verify (seconds). */
  signing_key_grace_seconds: number;
  /** Access given to uploads that do not say `access`. */
  default_access: 'public' | 'private';
}

export const DEFAULT_POLICY: Readonly<EffectivePolicy> = Object.freeze({
  max_width: 4096,
  max_height: 4096,
  allowed_formats: [...OUTPUT_FORMATS],
  max_upload_bytes: 25 * 1024 * 1024,
  max_input_pixels: 50_000_000,
  max_frames: 100,
  allow_svg: false,
  transform_timeout_ms: 15_000,
  avif_effort: 2,
  webp_effort: 4,
  png_compression_level: 6,
  quality_jpeg: 80,
  quality_webp: 80,
  quality_avif: 55,
  signed_url_ttl_default_seconds: 3600,
  signed_url_ttl_max_seconds: 86_400,
  signing_key_grace_seconds: 86_400,
  default_access: 'public',
});

type Validator = (value: unknown) => boolean;
const integerIn = (min: number, max: number): Validator => (value) =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

const VALIDATORS: Record<keyof EffectivePolicy, { check: Validator; expects: string }> = {
  max_width: { check: integerIn(1, 16_384), expects: 'an integer from 1 to 16384' },
  max_height: { check: integerIn(1, 16_384), expects: 'an integer from 1 to 16384' },
  allowed_formats: {
    check: (value) =>
      Array.isArray(value) &&
      value.length > 0 &&
      value.every((format) => (OUTPUT_FORMATS as readonly unknown[]).includes(format)),
    expects: `a non-empty array of ${OUTPUT_FORMATS.join(', ')}`,
  },
  max_upload_bytes: { check: integerIn(1, 2 ** 40), expects: 'a positive integer (bytes)' },
  max_input_pixels: { check: integerIn(1, 2 ** 40), expects: 'a positive integer (pixels)' },
  max_frames: { check: integerIn(1, 10_000), expects: 'an integer from 1 to 10000' },
  allow_svg: { check: (value) => typeof value === 'boolean', expects: 'true or false' },
  transform_timeout_ms: { check: integerIn(100, 300_000), expects: 'an integer from 100 to 300000' },
  avif_effort: { check: integerIn(0, 9), expects: 'an integer from 0 to 9' },
  webp_effort: { check: integerIn(0, 6), expects: 'an integer from 0 to 6' },
  png_compression_level: { check: integerIn(0, 9), expects: 'an integer from 0 to 9' },
  quality_jpeg: { check: integerIn(1, 100), expects: 'an integer from 1 to 100' },
  quality_webp: { check: integerIn(1, 100), expects: 'an integer from 1 to 100' },
  quality_avif: { check: integerIn(1, 100), expects: 'an integer from 1 to 100' },
  signed_url_ttl_default_seconds: { check: integerIn(1, 31_536_000), expects: 'seconds, 1 to 31536000' },
  signed_url_ttl_max_seconds: { check: integerIn(1, 31_536_000), expects: 'seconds, 1 to 31536000' },
  signing_key_grace_seconds: { check: integerIn(0, 31_536_000), expects: 'seconds, 0 to 31536000' },
  default_access: {
    check: (value) => value === 'public' || value === 'private',
    expects: '"public" or "private"',
  },
};

export const POLICY_KEYS = Object.keys(VALIDATORS) as (keyof EffectivePolicy)[];

export function isPolicyKey(key: string): key is keyof EffectivePolicy {
  return Object.hasOwn(VALIDATORS, key);
}

/** Validates one key/value pair as an admin sets it; throws a 400 naming the key otherwise. */
export function validatePolicyValue(key: string, value: unknown): void {
  if (!isPolicyKey(key)) {
    throw new ImgplaneError('bad_request', `unknown policy key "${key}"`, {
      detail: { key, known: POLICY_KEYS },
    });
  }
  const { check, expects } = VALIDATORS[key];
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
    if (isPolicyKey(key) && VALIDATORS[key].check(value)) policy[key] = value;
  }
  return policy as unknown as EffectivePolicy;
}
