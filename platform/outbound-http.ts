/**
 * HTTP requests to addresses that tenants choose (webhook endpoints, the generic CDN purge URL).
 * Unless the operator allows it, they never reach loopback, link-local, private or other
 * non-public addresses: the check runs on every address the host name resolves to, at connect
 * time (so DNS rebinding after a check cannot slip through), and redirects are never followed.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { badRequest } from '../core/errors.ts';

export interface OutboundPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: also reach loopback, link-local and private addresses. */
  allowPrivateNetworks: boolean;
}

export interface OutboundRequest {
  method: 'POST' | 'PUT' | 'DELETE' | 'GET';
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The first bytes of the body (enough for an error message), as text. */
  bodyExcerpt: string;
}

export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
}

const BODY_EXCERPT_BYTES = 1024;

/** True for a public unicast address (the only kind reachable without the operator's permission). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/**
 * Validates a tenant-supplied endpoint URL before it is stored: absolute http(s), no credentials,
 * and a host that is public (a literal address, or a name every resolved address of which is).
 * Throws a 400 naming the problem.
 */
export async function assertEndpointUrl(raw: string, policy: OutboundPolicy): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest(`"${raw}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badRequest('the URL must be http or https');
  if (url.username !== '' || url.password !== '') throw badRequest('the URL must not carry credentials');
  if (raw.length > 2048) throw badRequest('the URL is longer than 2048 characters');
  if (policy.allowPrivateNetworks) return url;
  const host = hostOf(url);
  const addresses = isIP(host) ? [host] : await resolveAll(host).catch(() => {
    throw badRequest(`the host "${host}" does not resolve`);
  });
  const refused = addresses.find((address) => !isPublicAddress(address));
  if (refused !== undefined) {
    throw badRequest(`the URL points at a non-public address (${refused}); loopback, link-local and private networks are refused`, {
      host,
      address: refused,
    });
  }
  return url;
}

/** Sends one request; resolves with the answer whatever its status, rejects when none came. */
export function sendOutbound(request: OutboundRequest, policy: OutboundPolicy): Promise<OutboundResponse> {
  const url = new URL(request.url);
  const host = hostOf(url);
  if (!policy.allowPrivateNetworks && isIP(host) && !isPublicAddress(host)) {
    return Promise.reject(new RefusedAddressError(`refused non-public address ${host}`));
  }
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(
      url,
      {
        method: request.method,
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        lookup: policy.allowPrivateNetworks ? undefined : publicOnlyLookup,
        timeout: request.timeoutMs,
        // no keep-alive pool: every request re-resolves and re-checks its host
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept < BODY_EXCERPT_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            bodyExcerpt: Buffer.concat(chunks).subarray(0, BODY_EXCERPT_BYTES).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/** `dns.lookup` that fails instead of answering a non-public address. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused || addresses.length === 0) {
      return callback(new RefusedAddressError(`refused non-public address ${refused?.address ?? 'none'} of ${hostname}`), '', 0);
    }
    if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    return callback(null, first.address, first.family);
  });
};

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses.map((entry) => entry.address))));
  });
}

/** The URL's host without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}
