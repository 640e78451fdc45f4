/**
 * Fastly: POST /service/{service_id}/purge with the keys in a `Surrogate-Key` header (space
 * separated, at most 256 per call) and the token in `Fastly-Key`; `Fastly-Soft-Purge: 1` marks
 * content stale instead of removing it when the target asks for soft purges.
 */
import { chunks, type CdnPurgeAdapter, type PurgeRequest } from '../types.ts';
import { callVendor } from './vendor-http.ts';

export const FASTLY_API = 'https://api.fastly.com';
const PER_CALL = 256;

export interface FastlySettings {
  serviceId: string;
  soft: boolean;
}

export interface FastlyCredentials {
  apiToken: string;
}

export function fastlyAdapter(settings: FastlySettings, credentials: FastlyCredentials, apiBase = FASTLY_API): CdnPurgeAdapter {
  const url = `${apiBase}/service/${encodeURIComponent(settings.serviceId)}/purge`;
  return {
    provider: 'fastly',
    async purge(request: PurgeRequest) {
      for (const keys of chunks(request.tags, PER_CALL)) {
        const headers: Record<string, string> = {
          'fastly-key': credentials.apiToken,
          'surrogate-key': keys.join(' '),
          accept: 'application/json',
        };
        if (settings.soft) headers['fastly-soft-purge'] = '1';
        await callVendor('fastly', url, { headers, body: '' });
      }
    },
  };
}
