/**
 * The demo organisation's analyst login (zero-config mode): created once, saved beside the demo's
 * keys in the data folder (like them, a development convenience; production logins are made with
 * createAnalystLogin and shown once), and printed as a psql connection string at every start.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createAnalystLogin, type AnalystLogin } from './analyst-logins.ts';
import type { Platform } from './platform.ts';
import { withClaims, type Claims } from './request-context.ts';

const OPERATOR: Claims = Object.freeze({ role: 'imgplane_admin', organizationId: null, tenantId: null, apiKeyId: null, scopes: [] });

/** The saved login when it still reads `organizationId`, else a new one (saved for the next start). */
export async function demoAnalystLogin(platform: Pick<Platform, 'pool' | 'config'>, organizationId: string, orgSlug = 'demo'): Promise<AnalystLogin> {
  const savedPath = path.join(platform.config.dataDir, `${orgSlug}-analyst.json`);
  const saved = await readFile(savedPath, 'utf8').then((text) => JSON.parse(text) as Partial<AnalystLogin>, () => undefined);
  if (saved?.roleName && saved.password && (await stillMapped(platform, saved.roleName, organizationId))) {
    return { roleName: saved.roleName, password: saved.password };
  }
  const login = await createAnalystLogin(platform.pool, OPERATOR, organizationId);
  await writeFile(savedPath, JSON.stringify(login), { mode: 0o600 });
  return login;
}

async function stillMapped(platform: Pick<Platform, 'pool'>, roleName: string, organizationId: string): Promise<boolean> {
  const { rowCount } = await withClaims(platform.pool, OPERATOR, (client) =>
    client.query('select 1 from imgplane.analyst_logins where role_name = $1 and organization_id = $2', [roleName, organizationId]),
  );
  return (rowCount ?? 0) > 0;
}
