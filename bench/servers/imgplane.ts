/**
 * The real imgplane server for the benchmark, in its own process: the same wiring as `npm start`
 * (createPlatform + buildApp), configured from the environment like production (MEMORY_CACHE_MB,
 * REDIS_URL, RATE_LIMITS...). With BENCH_IMAGE it creates an organisation and uploads the image
 * through the API; without it, it serves what another instance on the same database and data
 * directory (BENCH_DATA_DIR) uploaded. A second listener answers `GET /transforms` with the
 * number of transforms run so far, whatever the product does with /metrics, and
 * `GET /memory-cache` with what the memory cache holds (entries, bytes).
 * Prints one JSON line `{ port, controlPort, base? }` when ready.
 */
import '../../platform/runtime-env.ts';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../core/config.ts';
import { buildApp } from '../../server/app.ts';
import { mountGraphql } from '../../graphql/mount.ts';
import { createPlatform } from '../../platform/platform.ts';
import { createOrganization } from '../../test/support/tenancy.ts';
import { upload } from '../../test/support/http.ts';
import { announce, listenLocally } from './announce.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');
const imagePath = process.env.BENCH_IMAGE;

const dataDir = process.env.BENCH_DATA_DIR ?? (await mkdtemp(path.join(tmpdir(), 'imgplane-bench-')));
await mkdir(dataDir, { recursive: true });
const config = loadConfig({ ...process.env, IMGPLANE_DATA_DIR: dataDir, NODE_ENV: 'test' });
const platform = await createPlatform({ ...config, databaseUrl, masterKey: randomBytes(32), logLevel: 'error' });
const app = await buildApp(platform, [mountGraphql]);
const address = await app.listen({ host: '127.0.0.1', port: 0 });

// The GraphQL schema is built in the background after start (graphql/mount.ts), seconds of CPU that
// would fall on the first scenario: a GraphQL request waits for it, so the server is announced
// ready only once it is built.
const org = await createOrganization(platform, 'bench');
const schemaReady = await app.inject({ method: 'POST', url: '/graphql', headers: { 'x-api-key': org.adminKey }, payload: { query: '{ __typename }' } });
if (schemaReady.statusCode !== 200) throw new Error(`GraphQL schema not ready: ${schemaReady.statusCode} ${schemaReady.body}`);

let base: string | undefined;
if (imagePath) {
  const tenant = org.tenants[0]!;
  const response = await upload(address, tenant.key, tenant.spaceId, await readFile(imagePath), { filename: 'bench.jpg' });
  if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${await response.text()}`);
  const asset = (await response.json()) as { urls: { original: string } };
  base = new URL(asset.urls.original).pathname.replace(/\/original\.jpg$/, '');
}

async function transformsRun(): Promise<number> {
  const metric = await platform.metrics.transforms.get();
  return metric.values.reduce((sum, value) => sum + value.value, 0);
}

const control = createServer((request, response) => {
  const json = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (request.url === '/transforms') return void transformsRun().then((count) => json({ count }));
  if (request.url === '/memory-cache') return void json(platform.memory.stats());
  response.writeHead(404).end();
});
announce({ port: Number(new URL(address).port), controlPort: await listenLocally(control), dataDir, base });
// A normal exit on SIGTERM, so `node --cpu-prof` (profiling the hit path) writes its profile.
process.once('SIGTERM', () => process.exit(0));
