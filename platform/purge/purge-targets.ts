/**
 * CDN purge targets: which CDN to purge for an organisation or one space, with its settings
 * (validated per provider) and credentials (sealed at rest like signing keys, core/envelope.ts).
 * `create` and `setCredentials` act as the caller; `adaptersFor` (worker) opens the credentials
 * and builds the adapters for an asset's space.
 */
import type pg from 'pg';
import { openSecret, sealSecret } from '../../core/envelope.ts';
import { badRequest, notFound } from '../../core/errors.ts';
import { requireScope } from '../keys/api-key-authenticator.ts';
import { assertEndpointUrl, type OutboundPolicy } from '../outbound-http.ts';
import { WORKER, withClaims, type Claims } from '../request-context.ts';
import { forbiddenOn42501, requireMasterKey } from '../events/secrets.ts';
import { akamaiAdapter } from './adapters/akamai.ts';
import { cloudflareAdapter } from './adapters/cloudflare.ts';
import { cloudFrontAdapter } from './adapters/cloudfront.ts';
import { fastlyAdapter } from './adapters/fastly.ts';
import { genericHttpAdapter } from './adapters/generic-http.ts';
import type { CdnPurgeAdapter } from './types.ts';

export const PURGE_PROVIDERS = ['cloudflare', 'cloudfront', 'fastly', 'akamai', 'http'] as const;
export type PurgeProvider = (typeof PURGE_PROVIDERS)[number];

type Json = Record<string, unknown>;

/** Operator overrides of the vendors' API base URLs (tests point them at local servers). */
export interface PurgeEndpoints {
  cloudflare?: string;
  fastly?: string;
  akamai?: string;
  cloudfront?: string;
}

export interface PurgeTargetInput {
  /** Default: the caller's organisation. */
  organizationId?: string | null;
  /** Set: the target purges this space's assets only. */
  spaceId?: string | null;
  provider: string;
  settings: Json;
  credentials: Json;
  enabled?: boolean | null;
  description?: string | null;
}

export interface PurgeTargetRow {
  id: string;
  provider: PurgeProvider;
  settings: Json;
  secret_ciphertext: string;
}

function text(source: Json, key: string, what: string, pattern = /^[\x21-\x7e]{1,256}$/): string {
  const value = source[key];
  if (typeof value !== 'string' || !pattern.test(value)) throw badRequest(`${what} "${key}" is required (a string without spaces)`, { key });
  return value;
}

function oneOf<T extends string>(source: Json, key: string, allowed: readonly T[], fallback: T): T {
  const value = source[key] ?? fallback;
  if (!allowed.includes(value as T)) throw badRequest(`setting "${key}" must be one of ${allowed.join(', ')}`, { key, allowed });
  return value as T;
}

const HEX32 = /^[0-9a-f]{32}$/;
const AKAMAI_HOST = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.akamaiapis\.net$/;

/** Validated settings (stored as they come out) and the credential keys the provider needs. */
export async function validateTarget(provider: string, settings: Json, credentials: Json, outbound: OutboundPolicy): Promise<{ provider: PurgeProvider; settings: Json; credentials: Json }> {
  switch (provider) {
    case 'cloudflare': {
      const purgeBy = settings.purgeBy ?? ['tags'];
      if (!Array.isArray(purgeBy) || purgeBy.length === 0 || purgeBy.some((by) => by !== 'tags' && by !== 'urls')) {
        throw badRequest('setting "purgeBy" must be a non-empty list of "tags" and "urls"');
      }
      if (purgeBy.includes('urls') && typeof settings.baseUrl !== 'string') throw badRequest('purging Cloudflare by URL needs setting "baseUrl" (your CDN host, e.g. https://img.example.com)');
      return {
        provider,
        settings: { zoneId: text(settings, 'zoneId', 'setting', HEX32), purgeBy, ...(settings.baseUrl ? { baseUrl: await publicBase(settings.baseUrl) } : {}) },
        credentials: { apiToken: text(credentials, 'apiToken', 'credential') },
      };
    }
    case 'fastly':
      return {
        provider,
        settings: { serviceId: text(settings, 'serviceId', 'setting', /^[A-Za-z0-9]{1,64}$/), soft: settings.soft === true },
        credentials: { apiToken: text(credentials, 'apiToken', 'credential') },
      };
    case 'akamai':
      return {
        provider,
        settings: {
          host: text(settings, 'host', 'setting', AKAMAI_HOST),
          network: oneOf(settings, 'network', ['production', 'staging'], 'production'),
          action: oneOf(settings, 'action', ['invalidate', 'delete'], 'invalidate'),
        },
        credentials: {
          clientToken: text(credentials, 'clientToken', 'credential'),
          clientSecret: text(credentials, 'clientSecret', 'credential'),
          accessToken: text(credentials, 'accessToken', 'credential'),
        },
      };
    case 'cloudfront':
      return {
        provider,
        settings: { distributionId: text(settings, 'distributionId', 'setting', /^[A-Z0-9]{1,64}$/) },
        credentials: {
          accessKeyId: text(credentials, 'accessKeyId', 'credential'),
          secretAccessKey: text(credentials, 'secretAccessKey', 'credential'),
        },
      };
    case 'http': {
      if (typeof settings.url !== 'string') throw badRequest('setting "url" is required');
      const url = await assertEndpointUrl(settings.url, outbound);
      const secret = text(credentials, 'secret', 'credential');
      const authorization = credentials.authorization;
      if (authorization !== undefined && typeof authorization !== 'string') throw badRequest('credential "authorization" must be a string');
      return { provider, settings: { url: url.toString() }, credentials: authorization ? { secret, authorization } : { secret } };
    }
    default:
      throw badRequest(`unknown CDN provider "${provider}"`, { known: PURGE_PROVIDERS });
  }
}

async function publicBase(value: unknown): Promise<string> {
  if (typeof value !== 'string') throw badRequest('setting "baseUrl" must be a URL');
  const url = new URL(value.replace(/\/$/, ''));
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badRequest('setting "baseUrl" must be http(s)');
  return url.origin;
}

export function adapterFor(row: PurgeTargetRow, credentials: Json, outbound: OutboundPolicy, endpoints: PurgeEndpoints = {}): CdnPurgeAdapter {
  const s = row.settings;
  const c = credentials as Record<string, string>;
  switch (row.provider) {
    case 'cloudflare':
      return cloudflareAdapter({ zoneId: String(s.zoneId), purgeBy: s.purgeBy as ('tags' | 'urls')[] }, { apiToken: c.apiToken! }, endpoints.cloudflare);
    case 'fastly':
      return fastlyAdapter({ serviceId: String(s.serviceId), soft: s.soft === true }, { apiToken: c.apiToken! }, endpoints.fastly);
    case 'akamai':
      return akamaiAdapter(
        { host: String(s.host), network: s.network as 'production' | 'staging', action: s.action as 'invalidate' | 'delete' },
        { clientToken: c.clientToken!, clientSecret: c.clientSecret!, accessToken: c.accessToken! },
        endpoints.akamai,
      );
    case 'cloudfront':
      return cloudFrontAdapter({ distributionId: String(s.distributionId) }, { accessKeyId: c.accessKeyId!, secretAccessKey: c.secretAccessKey! }, endpoints.cloudfront);
    case 'http':
      return genericHttpAdapter({ url: String(s.url) }, { secret: c.secret!, authorization: c.authorization }, outbound);
  }
}

export class PurgeTargets {
  constructor(
    private readonly pool: pg.Pool,
    private readonly masterKey: Buffer | undefined,
    private readonly outbound: OutboundPolicy,
    private readonly endpoints: PurgeEndpoints = {},
  ) {}

  async create(claims: Claims, input: PurgeTargetInput): Promise<string> {
    requireScope(claims, 'admin');
    const organizationId = input.organizationId ?? claims.organizationId;
    if (!organizationId) throw badRequest('organizationId is required for platform keys');
    if (input.description != null && input.description.length > 500) throw badRequest('description is longer than 500 characters');
    const valid = await validateTarget(input.provider, input.settings ?? {}, input.credentials ?? {}, this.outbound);
    const envelope = this.seal(valid.credentials);
    return withClaims(this.pool, claims, async (client) => {
      const result = await client.query<{ id: string }>(
        'select imgplane.create_cdn_purge_target($1, $2, $3, $4, $5, $6, $7) as id',
        [organizationId, input.spaceId ?? null, valid.provider, valid.settings, envelope, input.enabled ?? true, input.description ?? ''],
      );
      return result.rows[0]!.id;
    }).catch(forbiddenOn42501('this API key may not manage CDN purge targets here'));
  }

  /** Replaces the credentials (validated against the target's provider); settings stay. */
  async setCredentials(claims: Claims, id: string, credentials: Json): Promise<void> {
    requireScope(claims, 'admin');
    const replaced = await withClaims(this.pool, claims, async (client) => {
      const target = await client.query<{ provider: string; settings: Json }>('select provider, settings from imgplane.cdn_purge_targets where id = $1', [id]);
      const row = target.rows[0];
      if (!row) return false;
      const valid = await validateTarget(row.provider, row.settings, credentials, { allowPrivateNetworks: true });
      const result = await client.query<{ ok: boolean }>('select imgplane.set_cdn_purge_target_credentials($1, $2) as ok', [id, this.seal(valid.credentials)]);
      return result.rows[0]?.ok === true;
    });
    if (!replaced) throw notFound(`no CDN purge target ${id}`);
  }

  /** Deletes a target; RLS makes another organisation's (or, for tenant admins, another tenant's) id unknown. */
  async delete(claims: Claims, id: string): Promise<void> {
    requireScope(claims, 'admin');
    const deleted = await withClaims(this.pool, claims, (client) => client.query('delete from imgplane.cdn_purge_targets where id = $1', [id]));
    if ((deleted.rowCount ?? 0) === 0) throw notFound(`no CDN purge target ${id}`);
  }

  /** The enabled targets that purge assets of a space: the organisation's and the space's own. */
  async adaptersFor(organizationId: string, spaceId: string | null): Promise<{ id: string; settings: Json; adapter: CdnPurgeAdapter }[]> {
    const rows = await withClaims(this.pool, WORKER, async (client) => {
      const result = await client.query<PurgeTargetRow>(
        `select id, provider, settings, secret_ciphertext from imgplane.cdn_purge_targets
          where organization_id = $1 and enabled and (space_id is null or space_id = $2) order by created_at, id`,
        [organizationId, spaceId],
      );
      return result.rows;
    });
    return rows.map((row) => ({ id: row.id, settings: row.settings, adapter: this.open(row) }));
  }

  async adapter(targetId: string): Promise<{ settings: Json; adapter: CdnPurgeAdapter } | undefined> {
    const row = await withClaims(this.pool, WORKER, async (client) => {
      const result = await client.query<PurgeTargetRow>(
        'select id, provider, settings, secret_ciphertext from imgplane.cdn_purge_targets where id = $1 and enabled',
        [targetId],
      );
      return result.rows[0];
    });
    return row && { settings: row.settings, adapter: this.open(row) };
  }

  private open(row: PurgeTargetRow): CdnPurgeAdapter {
    const credentials = JSON.parse(openSecret(requireMasterKey(this.masterKey, 'CDN credentials'), row.secret_ciphertext).toString('utf8')) as Json;
    return adapterFor(row, credentials, this.outbound, this.endpoints);
  }

  private seal(credentials: Json): string {
    return sealSecret(requireMasterKey(this.masterKey, 'CDN credentials'), Buffer.from(JSON.stringify(credentials)));
  }
}
