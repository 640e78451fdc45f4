/**
 * Rate limits across instances: two real server processes (server/main.ts as children) on one
 * database, one Redis and one storage folder hold one limit in total, not one each; and with
 * Redis cut mid-test a server counts in memory instead, answering 200 or 429 but never a 5xx,
 * then goes back to the shared count when Redis returns.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApp, testAuthDatabaseUrl, type TestApp } from '../support/app.ts';
import { startEntryPoint, type Started } from '../support/processes.ts';
import { proxiedRedisUrl, waitFor } from '../support/redis-test-client.ts';
import type { TcpProxy } from '../support/tcp-proxy.ts';
import { createOrganization, setPolicy } from '../support/tenancy.ts';
import { flatPicture, imageUrl, uploadAsset, type ImageAddress } from './delivery-fixtures.ts';

const redisUrl = inject('redisUrl');
if (!redisUrl) console.warn('[rate-limits-shared] skipping: no Redis answers on 127.0.0.1:6379, and sharing a limit needs one');

/** A fresh organisation with one public picture (its own colour: Redis outlives test runs). */
async function pictureIn(helper: TestApp, policy: Record<string, number>): Promise<ImageAddress> {
  const org = await createOrganization(helper.platform, 'shared-rate');
  for (const [key, value] of Object.entries(policy)) await setPolicy(helper.platform, { organizationId: org.id }, key, value);
  const tenant = org.tenants[0];
  const asset = await uploadAsset(helper.baseUrl, tenant, await flatPicture(200, 150, `#${randomBytes(3).toString('hex')}`), { access: 'public' });
  return { baseUrl: helper.baseUrl, org, tenant, asset };
}

const statusOf = (url: string) => fetch(url).then(async (response) => (await response.arrayBuffer(), response.status));

describe.skipIf(!redisUrl)('two server processes sharing Redis', () => {
  let dataDir: string;
  let helper: TestApp;
  const servers: Started[] = [];
  const baseUrls: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'imgplane-shared-rate-'));
    // the helper seeds organisations and originals into the storage folder the children read
    helper = await startTestApp({ redisUrl, storage: { kind: 'local', dir: path.join(dataDir, 'storage') } });
    const env = {
      DATABASE_URL: inject('databaseUrl'),
      AUTH_DATABASE_URL: testAuthDatabaseUrl(),
      REDIS_URL: redisUrl,
      IMGPLANE_DATA_DIR: dataDir,
      IMGPLANE_MASTER_KEY: randomBytes(32).toString('hex'),
      HOST: '127.0.0.1',
      PORT: '0',
      WORKER_MODE: 'external',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
    };
    for (let i = 0; i < 2; i += 1) servers.push(startEntryPoint('server/main.ts', env));
    for (const server of servers) baseUrls.push((await server.waitFor(/listening on (http:\/\/\S+)/))[1]!);
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) server.child.kill('SIGTERM');
    await Promise.all(servers.map((server) => server.exited));
    await helper?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('holds the per-address limit in total across both processes', async () => {
    const picture = await pictureIn(helper, { rate_anonymous_per_minute: 6 });
    const statuses: number[] = [];
    for (let width = 20; width < 32; width += 1) {
      // alternate between the two processes, each request a new variant (a miss)
      const baseUrl = baseUrls[width % 2]!;
      statuses.push(await statusOf(imageUrl({ ...picture, baseUrl }, `w_${width}.jpg`)));
    }
    // per process the limit would have let all twelve through (six each)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429, 429, 429, 429]);
  });
});

describe.skipIf(!redisUrl)('Redis stopped mid-test', () => {
  let proxy: TcpProxy;
  let server: TestApp;

  beforeAll(async () => {
    const proxied = await proxiedRedisUrl(redisUrl);
    proxy = proxied.proxy;
    server = await startTestApp({ redisUrl: proxied.url });
    await waitFor(() => server.platform.redis?.status === 'ready');
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.close();
  });

  it('falls back to counting in memory without a 5xx, and back to Redis when it returns', async () => {
    const picture = { ...(await pictureIn(server, { rate_anonymous_per_minute: 4 })), baseUrl: server.baseUrl };
    const miss = (width: number) => statusOf(imageUrl(picture, `w_${width}.jpg`));
    expect([await miss(40), await miss(41)]).toEqual([200, 200]); // counted in Redis: 2 of 4

    proxy.cut();
    const whileDown: number[] = [];
    for (let width = 42; width < 48; width += 1) whileDown.push(await miss(width));
    // this process alone counts from zero meanwhile: four more, then refused
    expect(whileDown).toEqual([200, 200, 200, 200, 429, 429]);

    proxy.restore();
    await waitFor(() => server.platform.redis?.status === 'ready', 10_000);
    // the shared count (2 of 4) is what applies again
    expect([await miss(48), await miss(49), await miss(50)]).toEqual([200, 200, 429]);
  });
});
