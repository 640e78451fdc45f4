/**
 * The URLs an asset answer carries work as given: a private asset's `/v1/priv/` URLs are signed
 * for a short time when the caller may sign (scope `sign`), since unsigned they only answer 401.
 * Without that scope, or while the organisation has no active signing key, they stay unsigned
 * and `urls.signing` says how to get signed ones.
 */
import { isImgplaneError } from '../../core/errors.ts';
import type { SigningService } from '../keys/signing-keys.ts';
import type { Claims } from '../request-context.ts';
import type { AssetView } from './asset-service.ts';

/** Long enough to display or hand on an upload's answer, short enough to be harmless if logged. */
export const PRIVATE_ASSET_URL_TTL_SECONDS = 900;

export async function withUsableUrls(signing: SigningService, claims: Claims, asset: AssetView, baseUrl: string): Promise<AssetView> {
  if (asset.access !== 'private') return asset;
  if (!claims.scopes.includes('sign')) {
    return { ...asset, urls: { ...asset.urls, signing: 'private URLs need a signature: POST /v1/sign with a key that has the "sign" scope' } };
  }
  try {
    const [original, example] = await signing.sign(claims, [asset.urls.original, asset.urls.example], PRIVATE_ASSET_URL_TTL_SECONDS, baseUrl);
    return { ...asset, urls: { original: original!.url, example: example!.url, expiresAt: original!.expiresAt } };
  } catch (error) {
    // No active signing key yet (400), or a platform key outside any organisation (403): the
    // request itself succeeded, so answer it with unsigned URLs and the reason.
    if (!isImgplaneError(error) || error.status >= 500) throw error;
    return { ...asset, urls: { ...asset.urls, signing: `private URLs are unsigned: ${error.message}` } };
  }
}
