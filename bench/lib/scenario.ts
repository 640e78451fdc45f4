/**
 * What a bench scenario is: one module under bench/scenarios/ exporting a `Scenario`, listed in
 * bench/scenarios/index.ts. It asks `ctx.servers` for the servers it needs, drives load through
 * `ctx.load` / `alternate`, and returns what it measured and the targets it checked; the
 * orchestrator (bench/run.ts) prints the table and writes bench/results/*.json.
 */
import type { LoadPattern, LoadResult } from './wrk.ts';
import type { RunningServer, Servers } from './servers.ts';

export interface BenchSettings {
  /** Seconds of load per server and round (BENCH_SECONDS). */
  seconds: number;
  /** Rounds per scenario; servers alternate within each round (BENCH_ROUNDS). */
  rounds: number;
  /** wrk threads (BENCH_WRK_THREADS). */
  threads: number;
  /** Seconds of unmeasured load before a hit scenario, so JIT warm-up is not measured (BENCH_WARMUP_SECONDS). */
  warmupSeconds: number;
}

export interface BenchContext {
  settings: BenchSettings;
  servers: Servers;
  load(server: RunningServer, pattern: LoadPattern, connections: number): Promise<LoadResult>;
  /** The same load for `warmupSeconds`, not recorded (nothing when it is 0). */
  warm(server: RunningServer, pattern: LoadPattern, connections: number): Promise<void>;
  /** Offsets for `unique` and `mixed` patterns (widths imgplane has not rendered yet). */
  widths: FreshWidths;
  /** Names of the scenarios that ran before this one in this invocation. */
  ran: readonly string[];
  log(message: string): void;
}

export type Verdict = 'PASS' | 'FALL SHORT' | 'INVALID';

export interface Check {
  /** What is checked, e.g. "memory hit ≥ 0.80× reference". */
  target: string;
  /** The measured figure, e.g. "0.41×". */
  measured: string;
  verdict: Verdict;
  /** Why INVALID, or what else a reader must know. */
  reason?: string;
}

/** One server's figures in a scenario: load runs (one per round), or a single value. */
export interface Measurement {
  server: string;
  runs?: LoadResult[];
  value?: { amount: number; unit: string };
  note?: string;
}

export interface ScenarioResult {
  /** One line saying what was measured (connections, variant, duration). */
  setup: string;
  measurements: Measurement[];
  checks: Check[];
  notes: string[];
}

export interface Scenario {
  /** The command-line name (`npm run bench -- <name>`). */
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function throughput(runs: readonly LoadResult[]): number {
  return mean(runs.map((run) => run.requestsPerSecond));
}

export function p99(runs: readonly LoadResult[]): number {
  return mean(runs.map((run) => run.p99Ms));
}

/**
 * Runs every entry once per round, the order rotating from round to round, so drift on a shared
 * machine (another tenant's burst, thermal throttling) falls on all of them alike.
 */
export async function alternate<K extends string>(
  rounds: number,
  entries: Record<K, (round: number) => Promise<LoadResult>>,
): Promise<Record<K, LoadResult[]>> {
  const labels = Object.keys(entries) as K[];
  const results = Object.fromEntries(labels.map((label) => [label, [] as LoadResult[]])) as Record<K, LoadResult[]>;
  for (let round = 0; round < rounds; round += 1) {
    for (let index = 0; index < labels.length; index += 1) {
      const label = labels[(index + round) % labels.length]!;
      results[label].push(await entries[label](round));
    }
  }
  return results;
}

/** wrk's CPU share above which its figures are its own ceiling, not the server's. */
const LOAD_GENERATOR_SATURATED = 0.9;

/**
 * A throughput ratio against the reference, checked against `target`. INVALID when wrk was near
 * a full core in any run of either side (the load generator, not the server, set the figure).
 */
export function ratioCheck(target: string, minimum: number, ours: readonly LoadResult[], reference: readonly LoadResult[]): Check {
  const ratio = throughput(ours) / throughput(reference);
  const saturated = [...ours, ...reference].some((run) => run.loadGeneratorCpu >= LOAD_GENERATOR_SATURATED);
  const measured = `${ratio.toFixed(2)}×`;
  if (saturated) return { target, measured, verdict: 'INVALID', reason: 'wrk used ≥ 90% of its core(s): the load generator was the limit' };
  return { target, measured, verdict: ratio >= minimum ? 'PASS' : 'FALL SHORT' };
}

/**
 * The issue's validity rule for hit scenarios: the bare reference must be far above imgplane's
 * figure, or the load generator may be what both ran into. A warning, since imgplane close to a
 * bare server is also what success looks like; `ratioCheck` marks runs where wrk was saturated.
 */
export function referenceHeadroomNote(ours: readonly LoadResult[], reference: readonly LoadResult[]): string | undefined {
  const headroom = throughput(reference) / throughput(ours);
  if (headroom >= 1.1) return undefined;
  const cpu = Math.max(...reference.map((run) => run.loadGeneratorCpu));
  return `WARNING: the reference is only ${headroom.toFixed(2)}× imgplane's figure (wrk peaked at ${(cpu * 100).toFixed(0)}% CPU): check that the load generator is not the limit (more BENCH_WRK_THREADS, or wrk on another machine)`;
}

/** How far apart (relative to the fastest) the rounds of a server doing the same work may be. */
const STEADY_SPREAD = 0.2;

/**
 * The reference does the same work every round: when its rounds differ by more than 20 %, the
 * machine itself changed during the scenario (another job, throttling). Rounds alternate servers,
 * so drift falls on all of them alike, but the ratio carries that noise: a warning to rerun.
 */
export function steadinessNote(label: string, runs: readonly LoadResult[]): string | undefined {
  const rates = runs.map((run) => run.requestsPerSecond);
  if (rates.length < 2) return undefined;
  const [slowest, fastest] = [Math.min(...rates), Math.max(...rates)];
  const spread = fastest > 0 ? (fastest - slowest) / fastest : 0;
  if (spread <= STEADY_SPREAD) return undefined;
  return (
    `WARNING: the ${label}'s rounds ranged ${slowest.toFixed(1)}–${fastest.toFixed(1)} req/s (${(spread * 100).toFixed(0)} % apart) ` +
    'doing the same work: the machine was not steady during this scenario; rerun on an idle machine'
  );
}

/** The notes every scenario with a reference prints: its steadiness, then any of its own. */
export function referenceNotes(reference: readonly LoadResult[], ...own: (string | undefined)[]): string[] {
  return [steadinessNote('reference', reference), ...own].filter((note): note is string => note !== undefined);
}

export function errorsCheck(label: string, runs: readonly LoadResult[]): Check {
  const errors = runs.reduce((sum, run) => sum + run.errors, 0);
  return { target: `${label}: no errors`, measured: String(errors), verdict: errors === 0 ? 'PASS' : 'FALL SHORT' };
}

/** How many distinct widths paths.lua hands out (200..2700) before it repeats one. */
export const DISTINCT_WIDTHS = 2501;

/**
 * Offsets into paths.lua's width sequence, so no imgplane request of a run asks for a width an
 * earlier one rendered (it would be a hit, flattering the miss figures). One offset per key (a
 * scenario's round: every server of the round gets the same widths); `consumed` after each
 * imgplane run moves the sequence past what it used.
 */
export class FreshWidths {
  #next = 0;
  readonly #offsets = new Map<string, number>();

  offset(key: string): number {
    let offset = this.#offsets.get(key);
    if (offset === undefined) {
      offset = this.#next;
      this.#offsets.set(key, offset);
    }
    return offset;
  }

  /** `requests` new widths answered, plus up to `inFlight` sent but cut off when the run ended. */
  consumed(requests: number, inFlight: number): void {
    this.#next += requests + inFlight;
  }

  /** Whether the run has asked for more widths than exist, so later "misses" may have been hits. */
  get exhausted(): boolean {
    return this.#next > DISTINCT_WIDTHS;
  }
}
