/**
 * SIGTERM under load, with the server as its own process (node as the child itself, as in a
 * container). A poller plays the load balancer: it checks readiness and stops routing new
 * requests once it fails. Required: readiness fails first, every request sent gets its answer
 * (none reset or refused), an upload still streaming when the server stops accepting finishes,
 * keep-alive connections are told to close, and the process exits 0. Also checked here, because
 * it needs the real process output: one log line per request at info, carrying the request id.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { flatPicture } from '../http/delivery-fixtures.ts';
import { startTestApp, testAuthDatabaseUrl, type TestApp } from '../support/app.ts';
import { startEntryPoint, type Started } from '../support/processes.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';

const DRAIN_MS = 1_000;
const LOAD_LANES = 4;
const WARM_REQUESTS = 40;

let control: TestApp;
let org: TestOrganization;
let dataDir: string;

beforeAll(async () => {
  control = await startTestApp();
  org = await createOrganization(control.platform, 'shutdown');
  dataDir = await mkdtemp(path.join(tmpdir(), 'imgplane-shutdown-'));
});

afterAll(async () => {
  await control?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(): Promise<{ server: Started; baseUrl: string }> {
  const server = startEntryPoint('server/main.ts', {
    DATABASE_URL: inject('databaseUrl'),
    AUTH_DATABASE_URL: testAuthDatabaseUrl(),
    IMGPLANE_DATA_DIR: dataDir,
    IMGPLANE_MASTER_KEY: randomBytes(32).toString('base64'),
    PORT: '0',
    WORKER_MODE: 'external',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
    METRICS_PORT: 'off',
  });
  const [, baseUrl] = await server.waitFor(/listening on (http:\/\/\S+)/);
  return { server, baseUrl: baseUrl! };
}

/** A multipart upload whose file part trickles in over `durationMs`; resolves with the status. */
function slowUpload(baseUrl: string, spaceId: string, apiKey: string, file: Buffer, durationMs: number): Promise<number> {
  const boundary = `----imgplane${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}/v1/spaces/${spaceId}/assets`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    req.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    req.once('error', reject);
    req.write(head);
    const pieces = 10;
    const size = Math.ceil(file.length / pieces);
    let sent = 0;
    const timer = setInterval(() => {
      req.write(file.subarray(sent * size, (sent + 1) * size));
      sent += 1;
      if (sent === pieces) {
        clearInterval(timer);
        req.end(tail);
      }
    }, durationMs / pieces);
  });
}

describe('SIGTERM under load', () => {
  it('fails readiness first, answers every request, finishes the one in flight and exits 0', async () => {
    const { server, baseUrl } = await startServer();
    const tenant = org.tenants[0];
    let routed = true;
    const outcomes = { ok: 0, failed: [] as string[], connectionClose: 0 };
    const readiness: number[] = [];
    const poller = (async () => {
      while (routed) {
        const response = await fetch(`${baseUrl}/health/ready`).catch(() => undefined);
        readiness.push(response?.status ?? 0);
        await response?.arrayBuffer();
        if (response?.status !== 200) routed = false;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const lane = async (index: number) => {
      let n = 0;
      while (routed) {
        const url = n++ % 2 === 0 ? `${baseUrl}/health/live` : `${baseUrl}/v1/assets/00000000-0000-4000-8000-00000000000${index}`;
        try {
          const response = await fetch(url, { headers: { 'x-request-id': `load-${index}-${n}`, 'x-api-key': tenant.key } });
          await response.arrayBuffer();
          // 404: no such asset (an authenticated database round trip all the same); a 5xx is a failure.
          if (response.status >= 500) outcomes.failed.push(`${url}: ${response.status}`);
          else outcomes.ok += 1;
          if (response.headers.get('connection') === 'close') outcomes.connectionClose += 1;
        } catch (error) {
          outcomes.failed.push(`${url}: ${error instanceof Error ? `${error.message} ${String(error.cause)}` : String(error)}`);
        }
      }
    };
    const load = Promise.all(Array.from({ length: LOAD_LANES }, (_, index) => lane(index)));

    // Load is flowing before the signal (counted, not timed: this machine may be slow).
    while (outcomes.ok < WARM_REQUESTS && outcomes.failed.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    // Still streaming its body when the server stops accepting connections (after DRAIN_MS).
    const upload = slowUpload(baseUrl, tenant.spaceId, tenant.key, await flatPicture(800, 600, '#127845'), DRAIN_MS + 1_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const okBeforeSignal = outcomes.ok;
    server.child.kill('SIGTERM');

    await Promise.all([poller, load]);
    expect(await upload).toBe(201);
    const exit = await server.exited;

    expect(outcomes.failed).toEqual([]);
    expect(okBeforeSignal).toBeGreaterThanOrEqual(WARM_REQUESTS);
    expect(outcomes.ok).toBeGreaterThan(okBeforeSignal);
    // Readiness was the first thing to fail, and it failed with an answer, not a refused connection.
    expect(readiness.at(-1)).toBe(503);
    expect(readiness.slice(0, -1).every((status) => status === 200)).toBe(true);
    expect(outcomes.connectionClose).toBeGreaterThan(0);
    expect(exit).toEqual({ code: 0, signal: null });

    // One JSON line per request at info, with its request id (the caller's X-Request-Id here).
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; reqId?: string; req?: { url: string } });
    const completed = lines.filter((line) => line.msg === 'request completed');
    expect(lines.filter((line) => line.msg === 'incoming request')).toEqual([]);
    expect(completed.length).toBeGreaterThanOrEqual(outcomes.ok);
    expect(completed.every((line) => line.level === 30 && typeof line.reqId === 'string')).toBe(true);
    expect(completed.some((line) => line.reqId === 'load-0-1' && line.req?.url === '/health/live')).toBe(true);
  }, 120_000);
});
