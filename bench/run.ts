/**
 * `npm run bench`: throughput of imgplane against references measured in the same run, on the
 * same machine, with the same image (the corpus' 2725x2225 JPEG, sharp's own benchmark input).
 *
 *   hit  — a memory-cache hit vs a bare Fastify route returning the same bytes   (target ≥ 0.80x)
 *   miss — a new variant per request vs a bare Fastify + Sharp resize server      (target ≥ 0.85x)
 *
 * Every server runs in its own process; the load comes from this one (autocannon). Rounds of the
 * reference and imgplane alternate so drift on a shared machine hits both alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { REPO_ROOT } from '../core/config.ts';
import { applyDatabase } from '../db/apply.ts';
import { acquireTestDatabase } from '../test/support/services.ts';
import { CORPUS_DIR } from '../test/support/http.ts';

const IMAGE = path.join(CORPUS_DIR, '2569067123_aca715a2ee_o.jpg');
const HIT_SECONDS = Number(process.env.BENCH_HIT_SECONDS ?? 6);
const MISS_SECONDS = Number(process.env.BENCH_MISS_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

interface Started {
  port: number;
  base?: string;
  child: ChildProcess;
}

async function startServer(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['--import', './runtime/typescript.mjs', script, ...args],
    { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${script} exited with ${code} before it was ready`);
  });
  const ready = (async () => {
    for await (const line of lines) {
      if (line.startsWith('{')) return JSON.parse(line) as { port: string; base?: string };
    }
    throw new Error(`${script} closed its output before it was ready`);
  })();
  const info = await Promise.race([ready, exited]);
  return { port: Number(info.port), base: info.base, child };
}

interface Measured {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  requests: number;
}

async function load(options: autocannon.Options): Promise<Measured> {
  const result = await autocannon({ ...options, workers: undefined });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
  };
}

/** A path generator giving every request of a run its own, never-seen variant. */
function uniqueWidths(start: number): (request: autocannon.Request) => autocannon.Request {
  let width = start;
  return (request) => {
    width = width >= 2700 ? 200 : width + 1;
    return { ...request, path: (request.path ?? '').replace(/\{w\}/, String(width)) };
  };
}

async function transformsCounted(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^imgplane_transforms_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

function average(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function report(name: string, target: number, reference: Measured[], ours: Measured[]): boolean {
  const ratio = average(ours.map((m) => m.requestsPerSecond)) / average(reference.map((m) => m.requestsPerSecond));
  const row = (label: string, runs: Measured[]) =>
    `  ${label.padEnd(22)} ${average(runs.map((m) => m.requestsPerSecond)).toFixed(1).padStart(9)} req/s   ` +
    `p50 ${average(runs.map((m) => m.p50)).toFixed(1).padStart(6)} ms   p99 ${average(runs.map((m) => m.p99)).toFixed(1).padStart(6)} ms   ` +
    `errors ${runs.reduce((sum, m) => sum + m.errors + m.non2xx, 0)}   (rounds: ${runs.map((m) => m.requestsPerSecond.toFixed(0)).join(', ')})`;
  console.log(`\n${name}`);
  console.log(row('reference', reference));
  console.log(row('imgplane', ours));
  const pass = ratio >= target;
  console.log(`  ratio ${ratio.toFixed(3)}x   target ≥ ${target.toFixed(2)}x   ${pass ? 'PASS' : 'FAIL'}`);
  return pass;
}

async function main(): Promise<void> {
  const database = await acquireTestDatabase();
  const workDir = await mkdtemp(path.join(tmpdir(), 'imgplane-bench-run-'));
  const children: ChildProcess[] = [];
  try {
    await applyDatabase(database.url);
    console.log(`imgplane benchmark — ${database.source}; image ${path.basename(IMAGE)}`);
    const imgplane = await startServer('bench/servers/imgplane.ts', [], { DATABASE_URL: database.url, BENCH_IMAGE: IMAGE, REDIS_URL: '' });
    children.push(imgplane.child);
    const base = new URL(imgplane.base!);
    const hitPath = `${base.pathname}/w_720.jpg`;
    const warm = await fetch(`http://127.0.0.1:${imgplane.port}${hitPath}`);
    const hitBytes = Buffer.from(await warm.arrayBuffer());
    const bytesFile = path.join(workDir, 'hit.jpg');
    await writeFile(bytesFile, hitBytes);
    const again = await fetch(`http://127.0.0.1:${imgplane.port}${hitPath}`);
    if (again.headers.get('x-cache') !== 'hit-memory') throw new Error(`expected a memory hit, got ${again.headers.get('x-cache')}`);
    await again.arrayBuffer();

    const bareBytes = await startServer('bench/servers/references.ts', ['bare-bytes'], { BENCH_BYTES: bytesFile });
    const bareSharp = await startServer('bench/servers/references.ts', ['bare-sharp'], { BENCH_IMAGE: IMAGE });
    children.push(bareBytes.child, bareSharp.child);
    console.log(`variant served on hits: ${hitBytes.length} bytes (w_720 JPEG); ${ROUNDS} alternating rounds per scenario`);

    const hitReference: Measured[] = [];
    const hitOurs: Measured[] = [];
    const missReference: Measured[] = [];
    const missOurs: Measured[] = [];
    let missRequests = 0;
    const transformsBefore = await transformsCounted(imgplane.port);
    for (let round = 0; round < ROUNDS; round += 1) {
      hitReference.push(await load({ url: `http://127.0.0.1:${bareBytes.port}/bytes`, connections: 32, duration: HIT_SECONDS }));
      hitOurs.push(await load({ url: `http://127.0.0.1:${imgplane.port}${hitPath}`, connections: 32, duration: HIT_SECONDS }));
      missReference.push(
        await load({
          url: `http://127.0.0.1:${bareSharp.port}`,
          connections: 4,
          duration: MISS_SECONDS,
          requests: [{ path: '/resize/{w}', setupRequest: uniqueWidths(200 + round * 997) }],
        }),
      );
      const ours = await load({
        url: `http://127.0.0.1:${imgplane.port}`,
        connections: 4,
        duration: MISS_SECONDS,
        requests: [{ path: `${base.pathname}/w_{w}.jpg`, setupRequest: uniqueWidths(200 + round * 997) }],
      });
      missRequests += ours.requests;
      missOurs.push(ours);
    }
    const transforms = (await transformsCounted(imgplane.port)) - transformsBefore;

    const hitPass = report('memory-cache hit (32 connections)', 0.8, hitReference, hitOurs);
    const missPass = report('miss: new variant per request (4 connections)', 0.85, missReference, missOurs);
    console.log(`\nmiss runs: ${transforms} transforms for ${missRequests} imgplane requests (each a new variant)`);
    console.log(`\nsummary: hit ${hitPass ? 'PASS' : 'FAIL'}, miss ${missPass ? 'PASS' : 'FAIL'}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await rm(workDir, { recursive: true, force: true });
    await database.release();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
