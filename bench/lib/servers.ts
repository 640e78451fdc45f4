/**
 * The server processes a bench run measures, each started on first use and kept for the run, so a
 * scenario names the servers it needs and gets them already warm if an earlier scenario used them.
 * Adding a kind: one entry in SERVER_KINDS (a script under bench/servers/ that prints a JSON line
 * with its `port` when ready, and the environment it runs with).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../../core/config.ts';

export interface RunningServer {
  kind: ServerKind;
  /** How the report names it. */
  label: string;
  port: number;
  pid: number;
  /** The rest of the server's ready line (imgplane: `base`, `controlPort`, `dataDir`). */
  info: Record<string, unknown>;
}

export interface BenchEnvironment {
  databaseUrl: string;
  /** The same database as imgplane_authenticator, the login of the servers' requests. */
  authDatabaseUrl: string;
  /** Absent: no Redis here; kinds that need it are unavailable. */
  redisUrl: string | undefined;
  image: string;
  workDir: string;
}

interface KindSpec {
  label: string;
  needsRedis?: boolean;
  start(env: BenchEnvironment, servers: Servers): Promise<{ script: string; env: NodeJS.ProcessEnv }>;
}

/**
 * imgplane as the bench runs it: rate limits off (misses by the thousand from one address; the
 * `imgplane-limits` kind has them on), its data directory (local storage) under the run's work
 * directory, removed with it.
 */
function imgplaneEnv(env: BenchEnvironment, directory: string, rateLimits: 'on' | 'off' = 'off'): NodeJS.ProcessEnv {
  return {
    RATE_LIMITS: rateLimits,
    LOG_LEVEL: 'silent',
    DATABASE_URL: env.databaseUrl,
    AUTH_DATABASE_URL: env.authDatabaseUrl,
    BENCH_DATA_DIR: path.join(env.workDir, directory),
    // The V8 settings `npm start` and the image run with (package.json, Dockerfile).
    NODE_OPTIONS: '--max-semi-space-size=8',
  };
}

const SERVER_KINDS = {
  /** The deployment shape: memory cache, Redis when it is here. */
  imgplane: {
    label: 'imgplane',
    start: async (env) => ({
      script: 'bench/servers/imgplane.ts',
      env: { ...imgplaneEnv(env, 'imgplane'), REDIS_URL: env.redisUrl ?? '', BENCH_IMAGE: env.image },
    }),
  },
  /** The deployment shape with its rate limits enforced, as in production (hits must not pay for them). */
  'imgplane-limits': {
    label: 'imgplane, rate limits on',
    start: async (env) => ({
      script: 'bench/servers/imgplane.ts',
      env: { ...imgplaneEnv(env, 'imgplane-limits', 'on'), REDIS_URL: env.redisUrl ?? '', BENCH_IMAGE: env.image },
    }),
  },
  /** A second instance on the same database, storage and Redis (the stampede across instances). */
  'imgplane-peer': {
    label: 'imgplane (second instance)',
    needsRedis: true,
    start: async (env, servers) => {
      const first = await servers.get('imgplane');
      return {
        script: 'bench/servers/imgplane.ts',
        env: { ...imgplaneEnv(env, 'imgplane'), REDIS_URL: env.redisUrl, BENCH_DATA_DIR: String(first.info.dataDir) },
      };
    },
  },
  /** No memory cache: every hit is a Redis hit. */
  'imgplane-redis': {
    label: 'imgplane, Redis hit',
    needsRedis: true,
    start: async (env) => ({
      script: 'bench/servers/imgplane.ts',
      env: { ...imgplaneEnv(env, 'imgplane-redis'), REDIS_URL: env.redisUrl, MEMORY_CACHE_MB: '0', BENCH_IMAGE: env.image },
    }),
  },
  /** No memory cache, no Redis: every hit reads the registry and storage. */
  'imgplane-storage': {
    label: 'imgplane, storage hit',
    start: async (env) => ({
      script: 'bench/servers/imgplane.ts',
      env: { ...imgplaneEnv(env, 'imgplane-storage'), REDIS_URL: '', MEMORY_CACHE_MB: '0', BENCH_IMAGE: env.image },
    }),
  },
  /** Bare node:http: imgplane's own hit bytes, and sharp on the original in memory. */
  reference: {
    label: 'reference (bare node:http)',
    start: async (env, servers) => {
      const imgplane = await servers.get('imgplane');
      const bytes = path.join(env.workDir, 'hit.jpg');
      const response = await fetch(`http://127.0.0.1:${imgplane.port}${hitPath(imgplane)}`);
      if (response.status !== 200) throw new Error(`imgplane answered ${response.status} for the hit URL`);
      await writeFile(bytes, Buffer.from(await response.arrayBuffer()));
      return { script: 'bench/servers/references.ts', env: { BENCH_BYTES: bytes, BENCH_IMAGE: env.image } };
    },
  },
  ipx: {
    label: 'ipx 3.1.1 (same sharp)',
    start: async (env) => ({ script: 'bench/servers/ipx.ts', env: { BENCH_IMAGE: env.image } }),
  },
} satisfies Record<string, KindSpec>;

export type ServerKind = keyof typeof SERVER_KINDS;

/** The variant every hit scenario asks for: the 2725x2225 JPEG at 720 wide. */
export const HIT_OPS = 'w_720';

/** The URL path of the hit variant on a server of any kind. */
export function hitPath(server: RunningServer): string {
  if (server.kind === 'reference') return '/hit';
  if (server.kind === 'ipx') return `/${HIT_OPS},q_80,f_jpeg/${String(server.info.file)}`;
  return `${imgplaneBase(server)}/${HIT_OPS}.jpg`;
}

/** A path template where `{w}` is a width never asked for before (see bench/lib/paths.lua). */
export function missTemplate(server: RunningServer): string {
  if (server.kind === 'reference') return '/resize/{w}';
  if (server.kind === 'ipx') return `/w_{w},q_80,f_jpeg/${String(server.info.file)}`;
  return `${imgplaneBase(server)}/w_{w}.jpg`;
}

/** `/v1/pub/<org>/<tenant>/<space>/<asset>/v1`: the prefix of the benchmark asset's variant URLs. */
export function imgplaneBase(server: RunningServer): string {
  const base = server.info.base;
  if (typeof base === 'string') return base;
  throw new Error(`${server.label} has no asset of its own`);
}

async function control<T>(server: RunningServer, path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${String(server.info.controlPort)}${path}`);
  return (await response.json()) as T;
}

export async function transformsRun(server: RunningServer): Promise<number> {
  return (await control<{ count: number }>(server, '/transforms')).count;
}

/** Bytes an imgplane server's memory cache holds now (part of its resident memory). */
export async function memoryCacheBytes(server: RunningServer): Promise<number> {
  return (await control<{ bytes: number }>(server, '/memory-cache')).bytes;
}

/** Peak resident memory (VmHWM) of the server and its child processes (imgplane's transform pool). */
export function peakRssBytes(server: RunningServer): number {
  return peakRssByProcess(server).reduce((sum, bytes) => sum + bytes, 0);
}

/** The same, per process: the server first, then its children. */
export function peakRssByProcess(server: RunningServer): number[] {
  return processTree(server.pid).map((pid) => statusKilobytes(pid, 'VmHWM') * 1024);
}

function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process exited while we looked
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** CPU time (user + system, in clock ticks) the server's process tree has used so far. */
function cpuTicks(root: number): number {
  return processTree(root).reduce((sum, pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return sum + Number(fields[11]) + Number(fields[12]);
    } catch {
      return sum;
    }
  }, 0);
}

function statusKilobytes(pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

export class Servers {
  readonly #started = new Map<ServerKind, Promise<RunningServer>>();
  readonly #children: ChildProcess[] = [];

  constructor(private readonly env: BenchEnvironment) {}

  available(kind: ServerKind): boolean {
    return !(SERVER_KINDS[kind] as KindSpec).needsRedis || this.env.redisUrl !== undefined;
  }

  get(kind: ServerKind): Promise<RunningServer> {
    let server = this.#started.get(kind);
    if (!server) {
      server = this.#start(kind);
      this.#started.set(kind, server);
    }
    return server;
  }

  /**
   * Waits until no started server is still busy: a server that renders every request (ipx) keeps
   * working through its queue after wrk stops, and would steal the next run's CPU. Idle means
   * under 5% of a core over 250 ms; gives up after `timeoutMs`.
   */
  async settle(timeoutMs = 60_000): Promise<void> {
    const servers = await Promise.all(this.#started.values());
    const deadline = Date.now() + timeoutMs;
    const IDLE_TICKS = 2; // of 100 per second: 250 ms at 5% of a core is 1.25 ticks
    while (Date.now() < deadline) {
      const before = servers.map((server) => cpuTicks(server.pid));
      await new Promise((resolve) => setTimeout(resolve, 250));
      const busy = servers.some((server, index) => cpuTicks(server.pid) - before[index]! >= IDLE_TICKS);
      if (!busy) return;
    }
  }

  async close(): Promise<void> {
    for (const child of this.#children) child.kill('SIGTERM');
    await Promise.all(this.#children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
  }

  async #start(kind: ServerKind): Promise<RunningServer> {
    const spec: KindSpec = SERVER_KINDS[kind];
    if (!this.available(kind)) throw new Error(`${spec.label} needs Redis, and none answers here`);
    const { script, env } = await spec.start(this.env, this);
    const child = spawn(process.execPath, ['--import', './runtime/typescript.mjs', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.#children.push(child);
    const info = await readyLine(child, script);
    return { kind, label: spec.label, port: Number(info.port), pid: child.pid!, info };
  }
}

/** The first JSON line of the child's output; later lines go to stderr (they are diagnostics). */
function readyLine(child: ChildProcess, script: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let ready = false;
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!ready && line.startsWith('{')) {
        ready = true;
        resolve(JSON.parse(line) as Record<string, unknown>);
      } else {
        process.stderr.write(`${line}\n`);
      }
    });
    child.once('exit', (code) => {
      if (!ready) reject(new Error(`${script} exited with ${code} before it was ready`));
    });
  });
}
