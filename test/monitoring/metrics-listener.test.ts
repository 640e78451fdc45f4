/**
 * /metrics of a production start (`server/main.ts`, no METRICS_TOKEN) is served on a listener of
 * its own, bound to loopback, and is closed on the public port: what the server counts (routes,
 * tenants' traffic, cache sizes) is for the operator's scraper, not for every client.
 */
import { randomBytes } from 'node:crypto';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startEntryPoint, type Started } from '../support/processes.ts';
import { testAuthDatabaseUrl } from '../support/app.ts';

let dataDir: string;
let server: Started;
let publicUrl: string;
let metricsUrl: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'imgplane-metrics-listener-'));
  server = startEntryPoint('server/main.ts', {
    DATABASE_URL: inject('databaseUrl'),
    AUTH_DATABASE_URL: testAuthDatabaseUrl(),
    IMGPLANE_DATA_DIR: dataDir,
    IMGPLANE_MASTER_KEY: randomBytes(32).toString('hex'),
    PORT: '0',
    METRICS_PORT: '0',
    WORKER_MODE: 'external',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'silent',
  });
  metricsUrl = (await server.waitFor(/metrics: (http:\/\/\S+\/metrics)/))[1] as string;
  publicUrl = (await server.waitFor(/listening on (http:\/\/\S+)/))[1] as string;
}, 60_000);

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

/** Local IPv4 addresses of the sockets listening on `port`, from /proc/net/tcp (state 0A = LISTEN). */
async function listeningAddresses(port: number): Promise<string[]> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === '0A' && Number.parseInt(fields[1]!.split(':')[1]!, 16) === port)
    .map((fields) => {
      const hex = fields[1]!.split(':')[0]!;
      // Little-endian on x86: 0100007F is 127.0.0.1.
      return [6, 4, 2, 0].map((offset) => Number.parseInt(hex.slice(offset, offset + 2), 16)).join('.');
    });
}

describe('the metrics listener of a server without METRICS_TOKEN', () => {
  it('serves Prometheus text there, including the requests the public port answered', async () => {
    expect((await fetch(`${publicUrl}/health/live`)).status).toBe(200);
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^imgplane_http_request_duration_seconds_count\{[^}]*route="\/health\/live"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('listens on loopback only, on a port apart from the public one', async () => {
    const port = Number(new URL(metricsUrl).port);
    expect(port).not.toBe(Number(new URL(publicUrl).port));
    expect(await listeningAddresses(port)).toEqual(['127.0.0.1']);
  });

  it('serves nothing else there', async () => {
    const base = new URL(metricsUrl).origin;
    for (const [method, where] of [['GET', '/'], ['GET', '/health/live'], ['POST', '/metrics'], ['GET', '/metrics/extra']] as const) {
      const response = await fetch(`${base}${where}`, { method });
      expect(response.status, `${method} ${where}`).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'not_found' });
    }
  });

  it('has no /metrics on the public port', async () => {
    for (const headers of [{}, { authorization: 'Bearer ' }, { authorization: 'Bearer anything' }]) {
      const response = await fetch(`${publicUrl}/metrics`, { headers });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('imgplane_');
    }
  });
});
