/**
 * Which outbox events purge CDNs, and what they purge: an asset's new version, access change or
 * other update, its deletion and an explicit purge request purge the asset; a space purge
 * request purges the space. The plan names the asset (or space) three ways, for the three kinds
 * of CDN API: its cache tag, its path prefixes (public and private URLs), and the public URLs of
 * its registered variants (versioned and `latest`) for CDNs purged by URL.
 */
import type pg from 'pg';
import { FILE_EXTENSIONS } from '../delivery/variants.ts';
import type { OutputFormat } from '../../core/policy.ts';
import type { PlatformEvent } from '../events/event.ts';
import { WORKER, withClaims } from '../request-context.ts';
import { assetTag, spaceTag } from './cache-tags.ts';

/** What to purge, before it is addressed to a CDN (the URLs need the target's public host). */
export interface PurgePlan {
  organizationId: string;
  spaceId: string;
  tags: string[];
  paths: string[];
  /** Paths of known public variant URLs; a target's baseUrl turns them into URLs. */
  variantPaths: string[];
}

const ASSET_EVENTS = new Set(['asset.updated', 'asset.deleted', 'asset.purged']);

export function purgesCdn(event: PlatformEvent): boolean {
  return event.aggregateId !== null && event.organizationId !== null && (ASSET_EVENTS.has(event.type) || event.type === 'space.purged');
}

interface PlacementRow {
  space_id: string;
  org_slug: string;
  tenant_slug: string;
  space_slug: string;
}

interface VariantRow {
  version: number;
  operations_canonical: string;
  output_format: OutputFormat;
}

export async function planPurge(pool: pg.Pool, event: PlatformEvent): Promise<PurgePlan | undefined> {
  if (!purgesCdn(event)) return undefined;
  const isSpace = event.type === 'space.purged';
  const spaceId = isSpace ? event.aggregateId! : String(event.payload.space_id ?? '');
  return withClaims(pool, WORKER, async (client) => {
    const placement = await client.query<PlacementRow>(
      `select s.id as space_id, o.slug as org_slug, t.slug as tenant_slug, s.slug as space_slug
         from imgplane.spaces s join imgplane.tenants t on t.id = s.tenant_id join imgplane.organizations o on o.id = s.organization_id
        where s.id::text = $1`,
      [spaceId],
    );
    const where = placement.rows[0];
    // A space deleted with its assets: nothing addressable is left to purge.
    if (!where) return undefined;
    const spacePath = `${where.org_slug}/${where.tenant_slug}/${where.space_slug}`;
    if (isSpace) {
      return {
        organizationId: event.organizationId!,
        spaceId: where.space_id,
        tags: [spaceTag(where.space_id)],
        paths: [`/v1/pub/${spacePath}/*`, `/v1/priv/${spacePath}/*`],
        variantPaths: [],
      };
    }
    const assetId = event.aggregateId!;
    const variants = await client.query<VariantRow>(
      'select version, operations_canonical, output_format from imgplane.derived_assets where asset_id = $1 order by version, operations_canonical',
      [assetId],
    );
    const assetPath = `/v1/pub/${spacePath}/img/${assetId}`;
    const variantPaths = new Set<string>();
    for (const variant of variants.rows) {
      const file = `${variant.operations_canonical}.${FILE_EXTENSIONS[variant.output_format]}`;
      variantPaths.add(`${assetPath}/v${variant.version}/${file}`);
      variantPaths.add(`${assetPath}/latest/${file}`);
    }
    return {
      organizationId: event.organizationId!,
      spaceId: where.space_id,
      tags: [assetTag(assetId)],
      paths: [`${assetPath}/*`, `/v1/priv/${spacePath}/img/${assetId}/*`],
      variantPaths: [...variantPaths],
    };
  });
}
