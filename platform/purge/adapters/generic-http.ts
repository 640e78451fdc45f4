/**
 * A generic purge hook for any other CDN or cache: POSTs `{reference, tags, paths, urls}` as JSON
 * to the target's URL, signed like webhooks (X-Imgplane-Signature over timestamp and body), and
 * through the same address guard (the URL is the tenant's choice).
 */
import { sendOutbound, type OutboundPolicy } from '../../outbound-http.ts';
import { webhookSignature, SIGNATURE_HEADER } from '../../events/webhook-signature.ts';
import { PurgeRejectedError, type CdnPurgeAdapter, type PurgeRequest } from '../types.ts';

export interface GenericHttpSettings {
  url: string;
}

export interface GenericHttpCredentials {
  /** HMAC-SHA256 key of X-Imgplane-Signature. */
  secret: string;
  /** Sent as Authorization when set (e.g. "Bearer …"). */
  authorization?: string;
}

export function genericHttpAdapter(settings: GenericHttpSettings, credentials: GenericHttpCredentials, outbound: OutboundPolicy): CdnPurgeAdapter {
  return {
    provider: 'http',
    async purge(request: PurgeRequest) {
      const body = JSON.stringify({ reference: request.reference, tags: request.tags, paths: request.paths, urls: request.urls });
      const timestamp = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-imgplane-timestamp': String(timestamp),
        [SIGNATURE_HEADER]: webhookSignature(credentials.secret, timestamp, body),
      };
      if (credentials.authorization) headers.authorization = credentials.authorization;
      const response = await sendOutbound({ method: 'POST', url: settings.url, headers, body, timeoutMs: 10_000 }, outbound);
      if (response.status < 200 || response.status > 299) throw new PurgeRejectedError('http', response.status, response.bodyExcerpt);
    },
  };
}
