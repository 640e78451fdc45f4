/**
 * Asset ingestion: validated originals become a stored object plus an asset row and version row,
 * written in ONE transaction with their audit and outbox rows (database triggers). The object is
 * stored before the transaction starts, so no lock is held while bytes stream to storage; if the
 * transaction fails, the object is removed again (unless a committed version refers to it), so a
 * failed upload leaves nothing behind.
 *
 * Uploads of the same bytes into one organisation take one transaction-scoped advisory lock (the
 * content-addressed storage key): the dedupe check, the insert and the removal of an unreferenced
 * object never interleave, so ten parallel uploads of one file into a space make one asset.
 */
import { createReadStream } from 'node:fs';
import type pg from 'pg';
import { badRequest, forbidden, notFound } from '../../core/errors.ts';
import { inspectOriginal, type DecodeCheck } from '../../core/ingest/index.ts';
import type { ImageFacts } from '../../core/ingest/types.ts';
import { resolvePolicy, type EffectivePolicy } from '../../core/policy.ts';
import type { ObjectStore } from '../../core/storage/types.ts';
import { FILE_EXTENSIONS } from '../delivery/variants.ts';
import { WORKER, withClaims, type Claims } from '../request-context.ts';
import type { ReceivedUpload } from './received-upload.ts';

export interface SpaceForUpload {
  spaceId: string;
  organizationId: string;
  tenantId: string;
  orgSlug: string;
  tenantSlug: string;
  spaceSlug: string;
  policy: EffectivePolicy;
}

export interface AssetView {
  id: string;
  spaceId: string;
  version: number;
  access: 'public' | 'private';
  tags: string[];
  folder: string;
  originalFilename: string;
  contentHash: string;
  sizeBytes: number;
  mimeType: string;
  format: string;
  width: number;
  height: number;
  frames: number;
  hasAlpha: boolean;
  createdAt: string;
  updatedAt: string;
  /**
   * Ready-made URLs. A private asset's are signed for a short time when the caller holds the
   * `sign` scope (`expiresAt`, unix seconds); otherwise `signing` says how to sign them.
   */
  urls: { original: string; example: string; expiresAt?: number; signing?: string };
}

interface AssetJoinRow {
  id: string;
  space_id: string;
  current_version: number;
  access: 'public' | 'private';
  tags: string[];
  folder: string;
  original_filename: string;
  content_hash: string;
  size_bytes: string;
  mime_type: string;
  format: string;
  width: number;
  height: number;
  frames: number;
  has_alpha: boolean;
  created_at: Date;
  updated_at: Date;
  org_slug: string;
  tenant_slug: string;
  space_slug: string;
}

const ASSET_SELECT = `
  select a.id, a.space_id, a.current_version, a.access, a.tags, a.folder, a.original_filename,
         v.content_hash, v.size_bytes, v.mime_type, v.format, v.width, v.height, v.frames, v.has_alpha,
         a.created_at, a.updated_at, o.slug as org_slug, t.slug as tenant_slug, s.slug as space_slug
    from imgplane.assets a
    join imgplane.asset_versions v on v.asset_id = a.id and v.version = a.current_version
    join imgplane.spaces s on s.id = a.space_id
    join imgplane.tenants t on t.id = a.tenant_id
    join imgplane.organizations o on o.id = a.organization_id`;

export interface UploadOptions {
  tags: string[];
  folder: string;
  access: 'public' | 'private' | undefined;
}

export class AssetService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly storage: ObjectStore,
    /** The full decode of an upload, within the space's transform time budget (see platform.ts). */
    private readonly checkDecodes: (...args: [...Parameters<DecodeCheck>, timeoutMs: number]) => Promise<void>,
  ) {}

  /** The space as the caller may see it, with the limits uploads into it must meet. */
  async spaceForUpload(claims: Claims, spaceId: string): Promise<SpaceForUpload> {
    const row = await withClaims(this.pool, claims, async (client) => {
      const result = await client.query(
        `select s.id, s.organization_id, s.tenant_id, o.slug as org_slug, t.slug as tenant_slug, s.slug as space_slug,
                imgplane.effective_policy(s.id) as policy,
                imgplane.scope_is_active(s.organization_id, s.tenant_id, s.id) as active
           from imgplane.spaces s
           join imgplane.tenants t on t.id = s.tenant_id
           join imgplane.organizations o on o.id = s.organization_id
          where s.id = $1`,
        [spaceId],
      );
      return result.rows[0];
    });
    if (!row) throw notFound(`no space ${spaceId}`);
    // checked before the upload is even received; RLS (db/policies/055_suspension.sql) refuses it again
    if (!row.active) throw forbidden(`space ${spaceId} is suspended: it accepts no uploads or changes until an admin above it reactivates it`);
    return {
      spaceId: row.id,
      organizationId: row.organization_id,
      tenantId: row.tenant_id,
      orgSlug: row.org_slug,
      tenantSlug: row.tenant_slug,
      spaceSlug: row.space_slug,
      policy: resolvePolicy(row.policy),
    };
  }

  /** The space of an existing, not deleted asset the caller may see. */
  async spaceOfAsset(claims: Claims, assetId: string): Promise<SpaceForUpload> {
    const spaceId = await withClaims(this.pool, claims, async (client) => {
      const result = await client.query<{ space_id: string }>(
        'select space_id from imgplane.assets where id = $1 and deleted_at is null',
        [assetId],
      );
      return result.rows[0]?.space_id;
    });
    if (!spaceId) throw notFound(`no asset ${assetId}`);
    return this.spaceForUpload(claims, spaceId);
  }

  async inspect(upload: ReceivedUpload, space: SpaceForUpload): Promise<ImageFacts> {
    const { policy } = space;
    const limits = {
      maxBytes: policy.max_upload_bytes,
      maxInputPixels: policy.max_input_pixels,
      maxFrames: policy.max_frames,
      allowSvg: policy.allow_svg,
    };
    return inspectOriginal(upload.filePath, upload.declaredMimeType, limits, (input, header, maxInputPixels) =>
      this.checkDecodes(input, header, maxInputPixels, policy.transform_timeout_ms),
    );
  }

  /** Creates an asset, or answers the existing one when the same bytes are already in the space. */
  async create(
    claims: Claims,
    space: SpaceForUpload,
    upload: ReceivedUpload,
    facts: ImageFacts,
    options: UploadOptions,
    baseUrl: string,
  ): Promise<{ asset: AssetView; created: boolean }> {
    return this.storingOriginal(claims, space, upload, facts, async (client, storageKey) => {
      // Filters asset_versions.space_id, which asset_versions_dedupe_idx (space_id, content_hash) serves.
      const existing = await client.query<{ id: string }>(
        `select a.id from imgplane.asset_versions v
           join imgplane.assets a on a.id = v.asset_id and a.current_version = v.version
          where v.space_id = $1 and v.content_hash = $2::char(64) and a.deleted_at is null
          order by a.created_at limit 1`,
        [space.spaceId, upload.sha256],
      );
      if (existing.rows[0]) return { assetId: existing.rows[0].id, created: false };
      const inserted = await client.query<{ id: string }>(
        `insert into imgplane.assets
           (organization_id, tenant_id, space_id, current_version, original_filename, tags, folder, access, created_by_api_key)
         values ($1, $2, $3, 1, $4, $5, $6, $7, $8) returning id`,
        [
          space.organizationId,
          space.tenantId,
          space.spaceId,
          upload.filename,
          options.tags,
          options.folder,
          options.access ?? space.policy.default_access,
          claims.apiKeyId,
        ],
      );
      const assetId = inserted.rows[0]!.id;
      await insertVersion(client, assetId, 1, space, upload, facts, storageKey, this.storage.provider);
      return { assetId, created: true };
    }).then(async ({ assetId, created }) => ({ asset: await this.view(claims, assetId, baseUrl), created }));
  }

  /** Adds version n+1 to an asset; older versions stay addressable under their own /v{n}/ URLs. */
  async addVersion(
    claims: Claims,
    assetId: string,
    space: SpaceForUpload,
    upload: ReceivedUpload,
    facts: ImageFacts,
    baseUrl: string,
  ): Promise<{ asset: AssetView; created: boolean }> {
    return this.storingOriginal(claims, space, upload, facts, async (client, storageKey) => {
      // NO KEY UPDATE: serialises versions of this asset without blocking the foreign-key checks
      // (KEY SHARE) of register_variant() for variants of it.
      const current = await client.query<{ current_version: number; content_hash: string }>(
        `select a.current_version, v.content_hash from imgplane.assets a
           join imgplane.asset_versions v on v.asset_id = a.id and v.version = a.current_version
          where a.id = $1 and a.deleted_at is null for no key update of a`,
        [assetId],
      );
      const row = current.rows[0];
      if (!row) throw notFound(`no asset ${assetId}`);
      if (row.content_hash.trim() === upload.sha256) return { assetId, created: false };
      const version = row.current_version + 1;
      await insertVersion(client, assetId, version, space, upload, facts, storageKey, this.storage.provider);
      await client.query('update imgplane.assets set current_version = $2 where id = $1', [assetId, version]);
      return { assetId, created: true };
    }).then(async ({ created }) => ({ asset: await this.view(claims, assetId, baseUrl), created }));
  }

  /** Soft delete: later image requests answer 404; the audit and outbox rows record it. */
  async remove(claims: Claims, assetId: string): Promise<void> {
    const deleted = await withClaims(this.pool, claims, (client) =>
      client.query('update imgplane.assets set deleted_at = now() where id = $1 and deleted_at is null', [assetId]),
    );
    if (deleted.rowCount === 0) throw notFound(`no asset ${assetId}`);
  }

  async view(claims: Claims, assetId: string, baseUrl: string): Promise<AssetView> {
    const row = await withClaims(this.pool, claims, async (client) => {
      const result = await client.query<AssetJoinRow>(`${ASSET_SELECT} where a.id = $1 and a.deleted_at is null`, [assetId]);
      return result.rows[0];
    });
    if (!row) throw notFound(`no asset ${assetId}`);
    return toView(row, baseUrl);
  }

  /**
   * Stores the original under its content-addressed key, then runs `write` in a transaction as
   * the caller under the content lock. Objects this call stored are removed if the transaction fails.
   */
  private async storingOriginal<T extends { created: boolean }>(
    claims: Claims,
    space: SpaceForUpload,
    upload: ReceivedUpload,
    facts: ImageFacts,
    write: (client: pg.PoolClient, storageKey: string) => Promise<T>,
  ): Promise<T> {
    const storageKey = `originals/${space.organizationId}/${upload.sha256}`;
    let putByUs = await this.putIfMissing(storageKey, upload, facts);
    try {
      return await withClaims(this.pool, claims, async (client) => {
        await lockContent(client, storageKey);
        const result = await write(client, storageKey);
        // A failed upload of the same bytes may have removed the object before we took the lock.
        if (result.created && (await this.putIfMissing(storageKey, upload, facts))) putByUs = true;
        return result;
      });
    } catch (error) {
      if (putByUs) await this.removeUnreferenced(space.organizationId, upload.sha256, storageKey);
      throw error;
    }
  }

  /** Answers whether it stored the object (false: it was already there). */
  private async putIfMissing(storageKey: string, upload: ReceivedUpload, facts: ImageFacts): Promise<boolean> {
    if (await this.storage.exists(storageKey)) return false;
    await this.storage.put(storageKey, createReadStream(upload.filePath), {
      contentType: facts.mimeType,
      sha256: upload.sha256,
      size: upload.size,
    });
    return true;
  }

  /**
   * Removes an original this upload stored, unless a committed version refers to it: originals are
   * content-addressed per organisation, so a concurrent upload of the same bytes may rely on this
   * object instead of writing its own. Under the content lock, so no such upload commits meanwhile.
   */
  private async removeUnreferenced(organizationId: string, sha256: string, storageKey: string): Promise<void> {
    await withClaims(this.pool, WORKER, async (client) => {
      await lockContent(client, storageKey);
      const referenced = await client.query(
        'select 1 from imgplane.asset_versions where organization_id = $1 and content_hash = $2::char(64) limit 1',
        [organizationId, sha256],
      );
      if ((referenced.rowCount ?? 0) === 0) await this.storage.delete(storageKey);
    }).catch(() => {});
  }

}

function toView(row: AssetJoinRow, baseUrl: string): AssetView {
    const base = `${baseUrl}/v1/${row.access === 'public' ? 'pub' : 'priv'}/${row.org_slug}/${row.tenant_slug}/${row.space_slug}/img/${row.id}/v${row.current_version}`;
    const originalExtension = (FILE_EXTENSIONS as Record<string, string>)[row.format] ?? 'jpg';
    return {
      id: row.id,
      spaceId: row.space_id,
      version: row.current_version,
      access: row.access,
      tags: row.tags,
      folder: row.folder,
      originalFilename: row.original_filename,
      contentHash: row.content_hash.trim(),
      sizeBytes: Number(row.size_bytes),
      mimeType: row.mime_type,
      format: row.format,
      width: row.width,
      height: row.height,
      frames: row.frames,
      hasAlpha: row.has_alpha,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    urls: { original: `${base}/original.${originalExtension}`, example: `${base}/w_400-fmt_auto.${originalExtension === 'png' ? 'png' : 'jpg'}` },
  };
}

/** Serialises, until COMMIT, every upload of one object (same bytes, same organisation). */
export async function lockContent(client: pg.PoolClient, storageKey: string): Promise<void> {
  await client.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`imgplane.original:${storageKey}`]);
}

async function insertVersion(
  client: pg.PoolClient,
  assetId: string,
  version: number,
  space: SpaceForUpload,
  upload: ReceivedUpload,
  facts: ImageFacts,
  storageKey: string,
  provider: string,
): Promise<void> {
  await client.query(
    `insert into imgplane.asset_versions
       (asset_id, version, organization_id, tenant_id, space_id, content_hash, storage_provider, storage_key,
        size_bytes, mime_type, format, width, height, frames, has_alpha, color_space, metadata)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
    [
      assetId,
      version,
      space.organizationId,
      space.tenantId,
      space.spaceId,
      upload.sha256,
      provider,
      storageKey,
      upload.size,
      facts.mimeType,
      facts.format,
      facts.width,
      facts.height,
      facts.frames,
      facts.hasAlpha,
      facts.colorSpace,
      JSON.stringify({ orientation: facts.orientation ?? null }),
    ],
  );
}

const FOLDER = /^\/(?:[A-Za-z0-9._-]+\/)*$/;
const TAG = /^[A-Za-z0-9:._-]{1,64}$/;

/** Upload form fields: `tags` (comma-separated), `folder` (/a/b/), `access` (public|private). */
export function parseUploadOptions(fields: Record<string, string>): UploadOptions {
  const tags = (fields.tags ?? '')
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
  const badTag = tags.find((tag) => !TAG.test(tag));
  if (badTag !== undefined) throw badRequest(`invalid tag "${badTag}" (letters, digits, : . _ -, at most 64)`);
  if (tags.length > 50) throw badRequest('at most 50 tags');
  let folder = (fields.folder ?? '/').trim() || '/';
  if (!folder.startsWith('/')) folder = `/${folder}`;
  if (!folder.endsWith('/')) folder = `${folder}/`;
  if (!FOLDER.test(folder) || folder.length > 512) throw badRequest(`invalid folder "${fields.folder}" (e.g. /products/shoes/)`);
  const access = fields.access;
  if (access !== undefined && access !== 'public' && access !== 'private') {
    throw badRequest(`access must be "public" or "private", got "${access}"`);
  }
  return { tags: [...new Set(tags)], folder, access };
}
