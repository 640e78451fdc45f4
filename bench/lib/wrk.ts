/**
 * Load from `wrk` (a C load generator, in its own process): autocannon inside the orchestrating
 * Node process saturated near 1,000 req/s here, far below the servers it was meant to measure.
 * Every run also reports how much CPU wrk itself used, so a run where the load generator was the
 * limit is marked instead of being mistaken for a server's ceiling.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'paths.lua');

/** What the requests of one run ask for (see paths.lua). */
export type LoadPattern =
  | { kind: 'fixed'; path: string }
  /** `{w}` in the template becomes a width that no other request of the run (or sequence) used. */
  | { kind: 'unique'; template: string; offset: number }
  | { kind: 'mixed'; path: string; template: string; offset: number; missEvery: number };

export interface LoadOptions {
  port: number;
  pattern: LoadPattern;
  connections: number;
  seconds: number;
  threads: number;
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Socket errors, timeouts and non-2xx/3xx answers. */
  errors: number;
  /** wrk's CPU time over wall time per thread: near 1 means the load generator was the bottleneck. */
  loadGeneratorCpu: number;
}

interface WrkJson {
  requests: number;
  durationUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
}

const WRK = process.env.BENCH_WRK ?? 'wrk';

/** The wrk version line, or undefined when wrk is not installed. */
export function wrkVersion(): string | undefined {
  try {
    // wrk prints its usage (with the version on the first line) and exits 1 without a URL.
    execFileSync(WRK, ['--version'], { stdio: 'pipe' });
  } catch (error) {
    const output = (error as { stdout?: Buffer; code?: string }).stdout?.toString() ?? '';
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    // "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer" → "wrk debian/4.1.0-3+b2"
    return /^wrk \S+/.exec(output)?.[0] ?? 'wrk';
  }
  return 'wrk';
}

export const WRK_INSTALL_HINT =
  'wrk is not installed. Install it with `sudo apt-get install wrk` (Debian/Ubuntu), `brew install wrk` (macOS), ' +
  'or build it from https://github.com/wg/wrk; or point BENCH_WRK at the binary.';

function scriptArguments(pattern: LoadPattern): string[] {
  switch (pattern.kind) {
    case 'fixed':
      return ['fixed', pattern.path];
    case 'unique':
      return ['unique', pattern.template, String(pattern.offset)];
    case 'mixed':
      return ['mixed', pattern.path, pattern.template, String(pattern.offset), String(pattern.missEvery)];
  }
}

/**
 * CPU seconds of this process's waited-for children (/proc/self/stat cutime + cstime). Servers
 * keep running during a load run, so the difference across one run is wrk's own CPU time.
 */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: index 13 and 14 are cutime and cstime (man 5 proc, fields 16 and 17).
  const ticks = Number(fields[13]) + Number(fields[14]);
  return ticks / 100;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = [
    `-t${options.threads}`,
    `-c${Math.max(options.connections, options.threads)}`,
    `-d${options.seconds}s`,
    '--timeout',
    '30s',
    '-s',
    SCRIPT,
    `http://127.0.0.1:${options.port}`,
    '--',
    ...scriptArguments(options.pattern),
  ];
  const cpuBefore = childCpuSeconds();
  const child = spawn(WRK, args, { env: { ...process.env, BENCH_WRK_THREADS: String(options.threads) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const cpuSeconds = childCpuSeconds() - cpuBefore;
  const line = output.split('\n').find((text) => text.startsWith('BENCH_JSON '));
  if (code !== 0 || !line) throw new Error(`wrk ${args.join(' ')} failed (exit ${code}):\n${output}`);
  const json = JSON.parse(line.slice('BENCH_JSON '.length)) as WrkJson;
  const seconds = json.durationUs / 1e6;
  return {
    requests: json.requests,
    requestsPerSecond: json.requests / seconds,
    p50Ms: json.p50Us / 1000,
    p90Ms: json.p90Us / 1000,
    p99Ms: json.p99Us / 1000,
    maxMs: json.maxUs / 1000,
    errors: json.connectErrors + json.readErrors + json.writeErrors + json.statusErrors + json.timeouts,
    loadGeneratorCpu: cpuSeconds / (seconds * options.threads),
  };
}
