/**
 * `pregenerate_variant`: renders one preset variant of an asset version ahead of the first request,
 * exactly as the image route would for `preset_<name>.<ext>`, through the same VariantService, so
 * the bytes land in storage, the registry (`derived_assets`) and the caches, and a later GET is a
 * hit. Idempotent: an existing variant is found in the registry and not rendered again.
 */
import type { Task } from 'graphile-worker';
import { isImgplaneError } from '../../core/errors.ts';
import { parseOps, planVariant } from '../../core/ops/index.ts';
import { OUTPUT_FORMATS, type OutputFormat } from '../../core/policy.ts';
import { CONTENT_TYPES, FILE_EXTENSIONS, type CacheLayer } from '../../platform/delivery/variants.ts';
import type { Platform } from '../../platform/platform.ts';
import { WORKER, withClaims } from '../../platform/request-context.ts';

export const PREGENERATE_VARIANT_TASK = 'pregenerate_variant';

export interface PregenerateVariantJob {
  assetId: string;
  version: number;
  preset: string;
  format: OutputFormat;
}

/** Repeats of the same job (an event delivered twice) collapse into one pending job. */
export function pregenerationJobKey(job: PregenerateVariantJob): string {
  return `pregenerate:${job.assetId}:v${job.version}:${job.preset}:${job.format}`;
}

export function parsePregenerateJob(payload: unknown): PregenerateVariantJob | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { assetId, version, preset, format } = payload as Record<string, unknown>;
  if (typeof assetId !== 'string' || typeof preset !== 'string') return undefined;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return undefined;
  if (!OUTPUT_FORMATS.includes(format as OutputFormat)) return undefined;
  return { assetId, version, preset, format: format as OutputFormat };
}

interface SpaceSlugsRow {
  org: string;
  tenant: string;
  space: string;
}

/**
 * Renders (or finds) the variant. Answers the cache layer it came from, or `skipped` when there is
 * nothing to do: the asset was deleted or its space is no longer active.
 */
export async function pregenerateVariant(platform: Platform, job: PregenerateVariantJob): Promise<CacheLayer | 'skipped'> {
  const asset = await platform.catalog.assetVersion(WORKER, job.assetId, job.version).catch(skipWhenNotFound);
  if (!asset) return 'skipped';
  const slugs = await withClaims(platform.pool, WORKER, async (client) => {
    const result = await client.query<SpaceSlugsRow>(
      `select o.slug as org, t.slug as tenant, s.slug as space
         from imgplane.spaces s
         join imgplane.tenants t on t.id = s.tenant_id
         join imgplane.organizations o on o.id = s.organization_id
        where s.id = $1`,
      [asset.spaceId],
    );
    return result.rows[0];
  });
  if (!slugs) return 'skipped';
  const space = await platform.catalog.space(slugs.org, slugs.tenant, slugs.space).catch(skipWhenNotFound);
  if (!space) return 'skipped';
  const plan = planVariant({
    parsed: parseOps(`preset_${job.preset}`),
    presets: space.presets,
    extension: FILE_EXTENSIONS[job.format],
    // Only a `fmt_auto` preset reads it: then this is the variant a client accepting the format gets.
    accept: CONTENT_TYPES[job.format],
    policy: space.policy,
    source: asset,
  });
  const delivery = await platform.variants.deliver(asset, plan, space.policy);
  // The job is done when the variant is stored, not merely rendered.
  await delivery.persisted;
  return delivery.layer;
}

export function pregenerateVariantTask(platform: Platform): Task {
  return async (payload, helpers) => {
    const job = parsePregenerateJob(payload);
    if (!job) {
      helpers.logger.error(`ignoring a ${PREGENERATE_VARIANT_TASK} job with an invalid payload`);
      return;
    }
    try {
      const outcome = await pregenerateVariant(platform, job);
      helpers.logger.debug(`${pregenerationJobKey(job)}: ${outcome}`);
    } catch (error) {
      // A 4xx is deterministic (the preset was removed, or the policy forbids its format):
      // retrying cannot help. Anything else (storage, database) is retried by graphile-worker.
      if (isImgplaneError(error) && error.status < 500) {
        helpers.logger.warn(`${pregenerationJobKey(job)} cannot be rendered: ${error.message}`);
        return;
      }
      throw error;
    }
  };
}

function skipWhenNotFound(error: unknown): undefined {
  if (isImgplaneError(error) && error.code === 'not_found') return undefined;
  throw error;
}
