/**
 * Connections are bounded: a stalled upload is answered 408 at the request timeout (and leaves no
 * temp file), a client that never finishes its headers is cut off, connections over the cap are
 * refused, and temp files left by a killed process are swept when the next one starts.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORIGINALS_TEMP_DIR } from '../../platform/delivery/original-file.ts';
import { UPLOAD_DIR } from '../../server/uploads/receive.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createOrganization, type TestOrganization } from '../support/tenancy.ts';

const HTTP_LIMITS = { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000, idleTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000, maxConnections: 8 };

let server: TestApp;
let org: TestOrganization;
let port: number;

beforeAll(async () => {
  server = await startTestApp({ config: { http: HTTP_LIMITS } });
  org = await createOrganization(server.platform, 'conn');
  port = Number(new URL(server.baseUrl).port);
});
afterAll(() => server?.close());

interface RawExchange {
  socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<{ text: string; afterMs: number }>;
}

function rawConnection(): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, closed }));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.once('error', reject);
    const closed = new Promise<{ text: string; afterMs: number }>((done) => socket.once('close', () => done({ text, afterMs: performance.now() - started })));
  });
}

const ourUploadFiles = async () => (await readdir(UPLOAD_DIR).catch(() => [])).filter((name) => name.startsWith(`${process.pid}-`));

describe('connection bounds', () => {
  it('answers a stalled chunked upload with 408 at the request timeout and leaves no temp file', async () => {
    const tenant = org.tenants[0];
    const { socket, closed } = await rawConnection();
    socket.write(
      `POST /v1/spaces/${tenant.spaceId}/assets HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: ${tenant.key}\r\n` +
        'Content-Type: multipart/form-data; boundary=XyZ\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    const head = '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n';
    const firstBytes = `${head}${'\xff\xd8\xff\xe0'.repeat(256)}`;
    socket.write(`${Buffer.byteLength(firstBytes).toString(16)}\r\n${firstBytes}\r\n`);
    // ...and then nothing more: the client stalls.
    const { text, afterMs } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeGreaterThanOrEqual(HTTP_LIMITS.requestTimeoutMs - 100);
    expect(afterMs).toBeLessThan(HTTP_LIMITS.requestTimeoutMs + 4_000);
    // The upload's temp file is removed once the aborted stream unwinds.
    for (let attempt = 0; attempt < 20 && (await ourUploadFiles()).length > 0; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await ourUploadFiles()).toEqual([]);
  });

  it('cuts off a client that never finishes its headers', async () => {
    const { socket, closed } = await rawConnection();
    socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const { text, afterMs } = await closed;
    expect(text === '' || /^HTTP\/1\.1 408/.test(text)).toBe(true);
    expect(afterMs).toBeLessThan(HTTP_LIMITS.headersTimeoutMs + 4_000);
  });

  it('refuses connections over MAX_CONNECTIONS and serves again once one closes', async () => {
    const open = await Promise.all(Array.from({ length: HTTP_LIMITS.maxConnections }, () => rawConnection()));
    // Let the server accept them all before the one over the cap arrives.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const over = await rawConnection();
    over.socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect((await over.closed).text).toBe('');
    for (const connection of open) connection.socket.destroy();
    await Promise.all(open.map((connection) => connection.closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${server.baseUrl}/health/live`)).status).toBe(200);
  });
});

describe('temp files of a killed process', () => {
  it('are swept at start; files of running processes are kept', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = dead.pid as number;
    await new Promise((resolve) => dead.once('exit', resolve));
    const orphans = [path.join(UPLOAD_DIR, `${deadPid}-${randomUUID()}`), path.join(ORIGINALS_TEMP_DIR, `${deadPid}-${randomUUID()}`)];
    const alive = path.join(UPLOAD_DIR, `${process.pid}-${randomUUID()}`);
    for (const file of [...orphans, alive]) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, 'partial upload');
    }
    const restarted = await startTestApp();
    try {
      const left = [...(await readdir(UPLOAD_DIR)), ...(await readdir(ORIGINALS_TEMP_DIR))];
      for (const orphan of orphans) expect(left).not.toContain(path.basename(orphan));
      expect(left).toContain(path.basename(alive));
    } finally {
      await restarted.close();
      await rm(alive, { force: true });
    }
  });
});
