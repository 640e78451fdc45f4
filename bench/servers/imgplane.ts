/**
 * The real imgplane server for the benchmark, in its own process: the same wiring as `npm start`
 * (createPlatform + buildApp), a fresh organisation, and the benchmark image uploaded through the
 * API. Prints one JSON line `{ port, base }` when ready.
 */
import '../../platform/runtime-env.ts';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../core/config.ts';
import { buildApp } from '../../server/app.ts';
import { mountGraphql } from '../../graphql/mount.ts';
import { createPlatform } from '../../platform/platform.ts';
import { createOrganization } from '../../test/support/tenancy.ts';
import { upload } from '../../test/support/http.ts';

const databaseUrl = process.env.DATABASE_URL;
const imagePath = process.env.BENCH_IMAGE;
if (!databaseUrl || !imagePath) throw new Error('DATABASE_URL and BENCH_IMAGE are required');

const dataDir = await mkdtemp(path.join(tmpdir(), 'imgplane-bench-'));
const config = loadConfig({ ...process.env, IMGPLANE_DATA_DIR: dataDir, NODE_ENV: 'test' });
const platform = await createPlatform({ ...config, databaseUrl, masterKey: randomBytes(32), logLevel: 'silent' });
const app = await buildApp(platform, [mountGraphql]);
const address = await app.listen({ host: '127.0.0.1', port: 0 });
const org = await createOrganization(platform, 'bench');
const tenant = org.tenants[0];
const response = await upload(address, tenant.key, tenant.spaceId, await readFile(imagePath), { filename: 'bench.jpg' });
if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${await response.text()}`);
const asset = (await response.json()) as { urls: { original: string } };
console.log(JSON.stringify({ port: new URL(address).port, base: asset.urls.original.replace(/\/original\.jpg$/, '') }));
