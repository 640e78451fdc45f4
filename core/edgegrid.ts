/**
 * Akamai EdgeGrid (EG1-HMAC-SHA256) request signing, as the Akamai OPEN API authentication spec
 * defines it: a signing key HMAC'd from the client secret and the timestamp signs the tab-joined
 * method, scheme, host, path+query, signed headers (none here), a hash of the POST body (first
 * `maxBody` bytes) and the unsigned Authorization header. Pure: clock and nonce are inputs.
 */
import { createHash, createHmac } from 'node:crypto';

export interface EdgeGridCredentials {
  clientToken: string;
  clientSecret: string;
  accessToken: string;
}

export interface EdgeGridRequest {
  method: string;
  /** Absolute URL (scheme, host and path+query are signed). */
  url: string;
  body: string;
  /** `yyyyMMddTHH:mm:ss+0000` in UTC. */
  timestamp: string;
  nonce: string;
  maxBody?: number;
}

const base64Hmac = (key: string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest('base64');

/** The timestamp format EdgeGrid signs, e.g. 20140321T19:34:21+0000. */
export function edgeGridTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2014-03-21T19:34:21.123Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 19)}+0000`;
}

export function edgeGridAuthorization(credentials: EdgeGridCredentials, request: EdgeGridRequest): string {
  const url = new URL(request.url);
  const unsigned =
    `EG1-HMAC-SHA256 client_token=${credentials.clientToken};access_token=${credentials.accessToken};` +
    `timestamp=${request.timestamp};nonce=${request.nonce};`;
  const method = request.method.toUpperCase();
  const signedBody = Buffer.from(request.body, 'utf8').subarray(0, request.maxBody ?? 131_072);
  const contentHash = method === 'POST' && signedBody.length > 0 ? createHash('sha256').update(signedBody).digest('base64') : '';
  const dataToSign = [method, url.protocol.replace(':', ''), url.host, `${url.pathname}${url.search}`, '', contentHash, unsigned].join('\t');
  const signingKey = base64Hmac(credentials.clientSecret, request.timestamp);
  return `${unsigned}signature=${base64Hmac(signingKey, dataToSign)}`;
}
