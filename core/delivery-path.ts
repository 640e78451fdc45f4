/**
 * The image URL path grammar:
 *   /v1/{pub|priv}/{org}/{tenant}/{space}/img/{assetId}/v{version}/{ops}.{ext}
 * where `v{version}` may also be `latest`: the asset's current version, resolved at request time.
 * Pure: it names the first thing that is wrong, as a 400 (404 for a path that is not ours at all).
 */
import { ImgplaneError } from './errors.ts';
import { isUuid } from './uuid.ts';

export type DeliveryAccess = 'pub' | 'priv';

export interface DeliveryPath {
  access: DeliveryAccess;
  org: string;
  tenant: string;
  space: string;
  assetId: string;
  /** A version number, or `latest`: whichever version is current when the request arrives. */
  version: number | typeof LATEST;
  ops: string;
  extension: string;
}

export const LATEST = 'latest';

/** Every public image URL starts so (`/v1/priv/` needs a signature). */
export const PUBLIC_PREFIX = '/v1/pub/';

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const VERSION = /^v([1-9][0-9]{0,8})$/;
/**
 * The extension follows the LAST dot, so ops may hold decimals (`w_200-dpr_1.5.jpg`); it starts with
 * a letter, so a file name without one (`dpr_1.5`) is not split inside a number.
 */
const FILE = /^(.+)\.([a-z][a-z0-9]{0,4})$/;
const DELIVERY_PATH_SHAPE = '/v1/{pub|priv}/{org}/{tenant}/{space}/img/{assetId}/{v{version}|latest}/{ops}.{ext}';

function invalid(message: string, segment: string): ImgplaneError {
  return new ImgplaneError('bad_request', message, { detail: { segment, expected: DELIVERY_PATH_SHAPE } });
}

export function parseDeliveryPath(pathname: string): DeliveryPath {
  if (pathname.length > 1024) throw invalid('image path is too long', pathname.slice(0, 64));
  const parts = pathname.split('/');
  const [empty, apiVersion, access, org, tenant, space, img, assetId, version, file, ...rest] = parts;
  if (empty !== '' || apiVersion !== 'v1' || (access !== 'pub' && access !== 'priv')) {
    throw new ImgplaneError('not_found', `no route GET ${pathname}`);
  }
  if (rest.length > 0 || file === undefined || file === '') {
    throw invalid(`image path must look like ${DELIVERY_PATH_SHAPE}`, pathname);
  }
  for (const [name, value] of [['organization', org], ['tenant', tenant], ['space', space]] as const) {
    if (value === undefined || !SLUG.test(value)) throw invalid(`invalid ${name} slug "${value ?? ''}"`, value ?? '');
  }
  if (img !== 'img') throw invalid(`expected "img" after the space, got "${img}"`, img ?? '');
  const normalisedId = (assetId ?? '').toLowerCase();
  if (!isUuid(normalisedId)) throw invalid(`invalid asset id "${assetId}" (a UUID)`, assetId ?? '');
  const versionMatch = version === LATEST ? undefined : VERSION.exec(version ?? '');
  if (version !== LATEST && !versionMatch) throw invalid(`invalid version "${version}" (v1, v2, ... or latest)`, version ?? '');
  const fileMatch = FILE.exec(file);
  if (!fileMatch) throw invalid(`"${file}" must be {ops}.{extension}, e.g. w_800.webp`, file);
  return {
    access,
    org: org as string,
    tenant: tenant as string,
    space: space as string,
    assetId: normalisedId,
    version: versionMatch ? Number(versionMatch[1]) : LATEST,
    ops: fileMatch[1] as string,
    extension: fileMatch[2] as string,
  };
}
