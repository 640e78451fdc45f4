/** The printed table of a bench run and its JSON record in bench/results/. */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mean, throughput, type Check, type Measurement, type ScenarioResult } from './scenario.ts';

const pad = (text: string, width: number) => text.padEnd(width);
const num = (value: number, digits = 1) => value.toFixed(digits);

function measurementLine(measurement: Measurement): string {
  const name = pad(measurement.server, 30);
  if (measurement.value) return `  ${name} ${num(measurement.value.amount).padStart(10)} ${measurement.value.unit}`;
  const runs = measurement.runs ?? [];
  const errors = runs.reduce((sum, run) => sum + run.errors, 0);
  const cpu = Math.max(...runs.map((run) => run.loadGeneratorCpu));
  return (
    `  ${name} ${num(throughput(runs)).padStart(10)} req/s   p50 ${num(mean(runs.map((run) => run.p50Ms))).padStart(6)} ms` +
    `   p99 ${num(mean(runs.map((run) => run.p99Ms))).padStart(7)} ms   errors ${String(errors).padStart(4)}` +
    `   wrk cpu ${(cpu * 100).toFixed(0).padStart(3)}%   rounds ${runs.map((run) => run.requestsPerSecond.toFixed(0)).join(' / ')}`
  );
}

function checkLine(check: Check): string {
  const reason = check.reason ? `  (${check.reason})` : '';
  return `  ${pad(check.verdict, 10)} ${pad(check.target, 52)} ${check.measured}${reason}`;
}

export function printScenario(title: string, result: ScenarioResult): void {
  console.log(`\n${title} — ${result.setup}`);
  for (const measurement of result.measurements) console.log(measurementLine(measurement));
  for (const check of result.checks) console.log(checkLine(check));
  for (const note of result.notes) console.log(`  ${note}`);
}

export function printSummary(checks: readonly Check[]): void {
  console.log('\ntargets');
  for (const check of checks) console.log(checkLine(check));
  const count = (verdict: Check['verdict']) => checks.filter((check) => check.verdict === verdict).length;
  console.log(`\n${count('PASS')} PASS, ${count('FALL SHORT')} FALL SHORT, ${count('INVALID')} INVALID`);
}

/** Written through a temporary name, so an interrupted run leaves no half file behind. */
export async function writeResults(directory: string, startedAt: Date, record: unknown): Promise<string> {
  const file = path.join(directory, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return file;
}
