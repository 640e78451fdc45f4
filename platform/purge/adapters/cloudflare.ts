/**
 * Cloudflare: POST /client/v4/zones/{zone_id}/purge_cache with an API token (Bearer), by cache
 * tag (`{"tags": [...]}`, matched against Cache-Tag) and/or by URL (`{"files": [...]}`), at most
 * 30 items per call.
 */
import { chunks, type CdnPurgeAdapter, type PurgeRequest } from '../types.ts';
import { callVendor } from './vendor-http.ts';

export const CLOUDFLARE_API = 'https://api.cloudflare.com';
const PER_CALL = 30;

export interface CloudflareSettings {
  zoneId: string;
  /** What to purge by: cache tags (default), URLs of known variants, or both. */
  purgeBy: ('tags' | 'urls')[];
}

export interface CloudflareCredentials {
  apiToken: string;
}

export function cloudflareAdapter(settings: CloudflareSettings, credentials: CloudflareCredentials, apiBase = CLOUDFLARE_API): CdnPurgeAdapter {
  const url = `${apiBase}/client/v4/zones/${encodeURIComponent(settings.zoneId)}/purge_cache`;
  const headers = { authorization: `Bearer ${credentials.apiToken}`, 'content-type': 'application/json' };
  return {
    provider: 'cloudflare',
    async purge(request: PurgeRequest) {
      const bodies: string[] = [];
      if (settings.purgeBy.includes('tags')) for (const tags of chunks(request.tags, PER_CALL)) bodies.push(JSON.stringify({ tags }));
      if (settings.purgeBy.includes('urls')) for (const files of chunks(request.urls, PER_CALL)) bodies.push(JSON.stringify({ files }));
      for (const body of bodies) await callVendor('cloudflare', url, { headers, body });
    },
  };
}
