/**
 * `npm run bench [-- <scenario> ...]`: imgplane against references measured in the same run, on
 * the same machine, with the same image (the corpus' 2725x2225 JPEG). With no names it runs every
 * scenario of bench/scenarios/index.ts; `npm run bench -- list` names them. It prints one table
 * with PASS / FALL SHORT (or INVALID: the load generator was the limit) per target, and writes
 * the whole record to bench/results/<start time>.json.
 *
 * Load comes from wrk in its own process; every server runs in its own process; rounds alternate
 * the servers. Settings (environment):
 *   BENCH_SECONDS      seconds of load per server and round (default 10; 1–2 for a smoke run)
 *   BENCH_ROUNDS       rounds per scenario (default 3)
 *   BENCH_WRK_THREADS  wrk threads (default 1: the other core is left to the server under test)
 *   BENCH_WARMUP_SECONDS  unmeasured load on each server before a hit scenario (default 3; 0: none)
 *   BENCH_WRK          the wrk binary (default `wrk` on PATH)
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { REPO_ROOT } from '../core/config.ts';
import { applyDatabase } from '../db/apply.ts';
import { acquireTestDatabase, redisUrlIfAvailable } from '../test/support/services.ts';
import { CORPUS_DIR } from '../test/support/http.ts';
import { printScenario, printSummary, writeResults } from './lib/report.ts';
import { FreshWidths, type BenchContext, type BenchSettings, type Check, type Scenario, type ScenarioResult } from './lib/scenario.ts';
import { Servers } from './lib/servers.ts';
import { runLoad, WRK_INSTALL_HINT, wrkVersion } from './lib/wrk.ts';
import { SCENARIOS } from './scenarios/index.ts';

const IMAGE = path.join(CORPUS_DIR, '2569067123_aca715a2ee_o.jpg');
const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

function positiveInteger(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

function selectScenarios(names: readonly string[]): readonly Scenario[] {
  if (names.length === 0) return SCENARIOS;
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  // Registry order, whatever the command line's: rss must come after the load it reports on.
  return SCENARIOS.filter((scenario) => names.includes(scenario.name));
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  if (names[0] === 'list') {
    for (const scenario of SCENARIOS) console.log(`${scenario.name.padEnd(12)} ${scenario.title}`);
    return;
  }
  const scenarios = selectScenarios(names);
  const wrk = wrkVersion();
  if (!wrk) throw new Error(WRK_INSTALL_HINT);
  const settings: BenchSettings = {
    seconds: positiveInteger('BENCH_SECONDS', 10),
    rounds: positiveInteger('BENCH_ROUNDS', 3),
    threads: positiveInteger('BENCH_WRK_THREADS', 1),
    warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 3),
  };
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const busyAtStart = await busyShare(1_000);
  const database = await acquireTestDatabase();
  const workDir = await mkdtemp(path.join(tmpdir(), 'imgplane-bench-run-'));
  const redisUrl = await redisUrlIfAvailable();
  const servers = new Servers({ databaseUrl: database.url, authDatabaseUrl: database.authUrl, redisUrl, image: IMAGE, workDir });
  const widths = new FreshWidths();
  const results: Record<string, ScenarioResult | { error: string }> = {};
  const checks: Check[] = [];
  try {
    await applyDatabase(database.url);
    console.log(
      `imgplane benchmark — ${scenarios.map((s) => s.name).join(', ')}; ${settings.rounds} round(s) × ${settings.seconds} s, ` +
        `${wrk}, ${settings.threads} thread(s); ${cpus().length} cores, load average ${loadAtStart[0]!.toFixed(2)}; ` +
        `Redis ${redisUrl ? 'present' : 'absent'}; image ${path.basename(IMAGE)}`,
    );
    if (busyAtStart > BUSY_AT_START) {
      console.log(
        `WARNING: the CPUs were ${(busyAtStart * 100).toFixed(0)} % busy in the second before the run: something else is running, ` +
          'and the figures will be low and noisy (the load average decays over minutes; this is the last second)',
      );
    }
    const ran: string[] = [];
    for (const scenario of scenarios) {
      const ctx: BenchContext = {
        settings,
        servers,
        widths,
        ran: [...ran],
        load: async (server, pattern, connections) => {
          await servers.settle();
          return runLoad({ port: server.port, pattern, connections, seconds: settings.seconds, threads: settings.threads });
        },
        warm: async (server, pattern, connections) => {
          if (settings.warmupSeconds <= 0) return;
          await servers.settle();
          await runLoad({ port: server.port, pattern, connections, seconds: settings.warmupSeconds, threads: settings.threads });
        },
        log: (message) => console.log(`  ${message}`),
      };
      try {
        const result = await scenario.run(ctx);
        results[scenario.name] = result;
        checks.push(...result.checks);
        printScenario(scenario.title, result);
      } catch (error) {
        // One broken scenario does not hide the others' figures.
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        results[scenario.name] = { error: message };
        checks.push({ target: scenario.title, measured: 'error', verdict: 'INVALID', reason: message.split('\n')[0] });
        console.error(`\n${scenario.title}: failed\n${message}`);
      }
      ran.push(scenario.name);
    }
    if (widths.exhausted) console.log('\nWARNING: more new widths were asked for than exist (2501): later "misses" may have been hits; shorten BENCH_SECONDS');
    printSummary(checks);
    const file = await writeResults(RESULTS_DIR, startedAt, {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      git: { commit: git(['rev-parse', 'HEAD']), dirty: git(['status', '--porcelain']).length > 0 },
      machine: { cores: cpus().length, cpu: cpus()[0]?.model, loadAverageAtStart: loadAtStart, busyAtStart, node: process.version, wrk, sharp: sharp.versions },
      settings,
      image: path.basename(IMAGE),
      redis: redisUrl !== undefined,
      scenarios: results,
    });
    console.log(`\nwritten: ${path.relative(REPO_ROOT, file)}`);
  } finally {
    await servers.close();
    await rm(workDir, { recursive: true, force: true });
    await database.release();
  }
}

/** Above this share of busy CPU before the run, the machine is not idle enough to measure on. */
const BUSY_AT_START = 0.25;

/** The share of CPU time all cores spent busy over the next `ms` milliseconds. */
async function busyShare(ms: number): Promise<number> {
  const total = () =>
    cpus().reduce(
      (sum, { times }) => {
        const busy = times.user + times.nice + times.sys + times.irq;
        return { busy: sum.busy + busy, all: sum.all + busy + times.idle };
      },
      { busy: 0, all: 0 },
    );
  const before = total();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = total();
  return after.all > before.all ? (after.busy - before.busy) / (after.all - before.all) : 0;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
