/**
 * Akamai Fast Purge v3: POST /ccu/v3/{invalidate|delete}/tag/{network} on the credentials' API
 * host with `{"objects": [tags]}` (matched against Edge-Cache-Tag), EdgeGrid-signed.
 */
import { randomUUID } from 'node:crypto';
import { edgeGridAuthorization, edgeGridTimestamp, type EdgeGridCredentials } from '../../../core/edgegrid.ts';
import { chunks, type CdnPurgeAdapter, type PurgeRequest } from '../types.ts';
import { callVendor } from './vendor-http.ts';

const PER_CALL = 500;

export interface AkamaiSettings {
  /** The API client's host, e.g. akab-xxxx.purge.akamaiapis.net. */
  host: string;
  network: 'production' | 'staging';
  /** invalidate (default: refetch when stale) or delete (remove outright). */
  action: 'invalidate' | 'delete';
}

export function akamaiAdapter(settings: AkamaiSettings, credentials: EdgeGridCredentials, apiBase = `https://${settings.host}`): CdnPurgeAdapter {
  const url = `${apiBase}/ccu/v3/${settings.action}/tag/${settings.network}`;
  return {
    provider: 'akamai',
    async purge(request: PurgeRequest) {
      for (const objects of chunks(request.tags, PER_CALL)) {
        const body = JSON.stringify({ objects });
        const authorization = edgeGridAuthorization(credentials, {
          method: 'POST',
          url,
          body,
          timestamp: edgeGridTimestamp(new Date()),
          nonce: randomUUID(),
        });
        await callVendor('akamai', url, { headers: { authorization, 'content-type': 'application/json' }, body });
      }
    },
  };
}
