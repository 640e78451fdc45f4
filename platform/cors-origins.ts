/**
 * Which web origins may call the API from a browser, from the `cors_allowed_origins` policy.
 * A route that names a space (`/v1/spaces/{id}/...`) answers that space's effective list; other
 * API routes (`/v1/assets/{id}`, `/v1/sign`, `/graphql`) name no space before authentication (a
 * preflight carries no API key), so they allow an origin that some policy names explicitly; a
 * `"*"` counts there only as the platform default (an organisation's `"*"`, meant for its
 * images, does not open every organisation's API to every site). CORS is not the
 * access control here (every API call needs its API key, and no cookies are used); it decides
 * which sites' scripts may make the call at all. Image responses use the space of their URL
 * (server/routes/images.ts). Lists are cached for `ttlMs` (METADATA_CACHE_TTL_MS).
 */
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import { ONE_LOAD_PER_KEY } from '../core/cache/one-load-per-key.ts';
import { resolvePolicy } from '../core/policy.ts';
import { isUuid } from '../core/uuid.ts';
import { withClaims, type Claims } from './request-context.ts';

/** Reads every organisation's policies: the union of lists spans them all. */
const POLICY_READER: Claims = Object.freeze({ role: 'imgplane_admin', organizationId: null, tenantId: null, apiKeyId: null, scopes: [] });

const SPACE_ROUTE = /^\/v1\/spaces\/([^/?]+)\//;
const ANYWHERE = '*';

export class CorsOrigins {
  /** By space id, and `*` for the API routes that name no space; one load per key at a time. */
  private readonly lists: LRUCache<string, readonly string[]>;

  constructor(
    private readonly pool: pg.Pool,
    ttlMs: number,
  ) {
    this.lists = new LRUCache({
      max: 10_000,
      ttl: Math.max(ttlMs, 1),
      ...ONE_LOAD_PER_KEY,
      fetchMethod: (key) => (key === ANYWHERE ? this.anywhere() : this.ofSpace(key)),
    });
  }

  /** The origins allowed to call `url` (a request path, query allowed). */
  async forApiPath(url: string): Promise<readonly string[]> {
    const spaceId = SPACE_ROUTE.exec(url)?.[1];
    const key = spaceId !== undefined && isUuid(spaceId) ? spaceId.toLowerCase() : ANYWHERE;
    return (await this.lists.fetch(key))!;
  }

  forget(): void {
    this.lists.clear();
  }

  private async ofSpace(spaceId: string): Promise<readonly string[]> {
    const { rows } = await withClaims(this.pool, POLICY_READER, (client) =>
      client.query<{ policy: Record<string, unknown> | null }>('select imgplane.effective_policy($1) as policy', [spaceId]),
    );
    return resolvePolicy(rows[0]?.policy).cors_allowed_origins;
  }

  private async anywhere(): Promise<readonly string[]> {
    const { rows } = await withClaims(this.pool, POLICY_READER, (client) =>
      client.query<{ origin: string }>(
        `select listed.origin
           from imgplane.policies p
          cross join lateral jsonb_array_elements_text(case when jsonb_typeof(p.value) = 'array' then p.value else '[]' end) as listed(origin)
          where p.key = 'cors_allowed_origins' and listed.origin <> '*'
         union
         select listed.origin
           from imgplane.policy_keys k
          cross join lateral jsonb_array_elements_text(coalesce(k.platform_default, k.builtin_default)) as listed(origin)
          where k.key = 'cors_allowed_origins'`,
      ),
    );
    return rows.map((row) => row.origin);
  }
}
