/**
 * When an asset gets new bytes (created, or replaced by a new version), enqueues one
 * `pregenerate_variant` job per matching auto_generate preset and output format. The presets are
 * those usable in the asset's space, nearest scope winning per name (`imgplane.space_presets`):
 * a space preset with auto_generate off switches off an organisation preset of the same name.
 */
import type pg from 'pg';
import type { TaskSpec } from 'graphile-worker';
import { parsedOpsFromJson } from '../../core/ops/index.ts';
import type { OutputFormat } from '../../core/policy.ts';
import { WORKER, withClaims } from '../../platform/request-context.ts';
import {
  PREGENERATE_VARIANT_TASK,
  pregenerationJobKey,
  type PregenerateVariantJob,
} from '../tasks/pregenerate-variant.ts';
import type { EventConsumer, OutboxEvent } from './types.ts';

export type EnqueueJob = (identifier: string, payload: unknown, spec: TaskSpec) => Promise<unknown>;

/** A preset that does not name its format is made in the two formats nearly every client takes. */
const DEFAULT_FORMATS: readonly OutputFormat[] = ['jpeg', 'webp'];

/** Jobs that still fail after this many attempts are left for the first request to render. */
const MAX_ATTEMPTS = 5;

/**
 * Matching presets. `match_tags` empty = any asset, else any shared tag; `match_folders` empty =
 * any folder, else the asset's folder at or below one of them ('/a' covers '/a' and '/a/b', not
 * '/ab'). For asset.updated only a new version counts: asset_versions.created_at and
 * events.created_at both default to now(), the transaction's start time, so they are equal exactly
 * when the event's own transaction added the version — not for a tag, folder or access edit.
 */
const MATCHING_PRESETS = `
  select p.name, p.operations
    from imgplane.assets a
    join imgplane.asset_versions v on v.asset_id = a.id and v.version = $2
    join imgplane.events e on e.id = $3
    cross join lateral imgplane.space_presets(a.space_id) p
   where a.id = $1
     and a.deleted_at is null
     and ($4 or v.created_at = e.created_at)
     and p.auto_generate
     and (cardinality(p.match_tags) = 0 or p.match_tags && a.tags)
     and (cardinality(p.match_folders) = 0 or exists (
           select from unnest(p.match_folders) as folder
            where starts_with(rtrim(a.folder, '/') || '/', rtrim(folder, '/') || '/')))`;

interface PresetRow {
  name: string;
  operations: unknown;
}

/** The formats to pregenerate a preset in: its own `fmt`, else jpeg and webp. */
export function pregenerationFormats(operations: unknown): readonly OutputFormat[] {
  let format: OutputFormat | 'auto' | undefined;
  try {
    format = parsedOpsFromJson(operations).format;
  } catch {
    // An invalid preset still gets its jobs: they report why it cannot be rendered.
    format = undefined;
  }
  return format === undefined || format === 'auto' ? DEFAULT_FORMATS : [format];
}

export function presetPregenerationConsumer(pool: pg.Pool, enqueue: EnqueueJob): EventConsumer {
  return {
    name: 'preset-pregeneration',
    async handle(event) {
      const target = newBytesOf(event);
      if (!target) return;
      const presets = await withClaims(pool, WORKER, async (client) => {
        const result = await client.query<PresetRow>(MATCHING_PRESETS, [
          target.assetId,
          target.version,
          event.id,
          event.type === 'asset.created',
        ]);
        return result.rows;
      });
      for (const preset of presets) {
        for (const format of pregenerationFormats(preset.operations)) {
          const job: PregenerateVariantJob = { assetId: target.assetId, version: target.version, preset: preset.name, format };
          await enqueue(PREGENERATE_VARIANT_TASK, job, { jobKey: pregenerationJobKey(job), maxAttempts: MAX_ATTEMPTS });
        }
      }
    },
  };
}

/** The asset version an asset.created / asset.updated event is about; undefined for other events. */
function newBytesOf(event: OutboxEvent): { assetId: string; version: number } | undefined {
  if (event.type !== 'asset.created' && event.type !== 'asset.updated') return undefined;
  const version = event.payload.current_version;
  if (event.aggregateId === null || typeof version !== 'number' || !Number.isInteger(version)) return undefined;
  return { assetId: event.aggregateId, version };
}
