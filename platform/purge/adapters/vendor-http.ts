/** A JSON call to a CDN vendor's API (fixed vendor hosts, so no address guard is needed). */
import { PurgeRejectedError } from '../types.ts';

const TIMEOUT_MS = 10_000;

export async function callVendor(provider: string, url: string, init: { headers: Record<string, string>; body: string }): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: init.headers,
    body: init.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await response.text().catch(() => '');
  if (response.status < 200 || response.status > 299) throw new PurgeRejectedError(provider, response.status, text);
}
