/**
 * `npm run bench:db [-- --scale=0.01]`: issue 17's scale proof. Creates a database of its own on
 * the server the tests use (test/support/services.ts), applies db/, loads synthetic data
 * (bench/db/synthetic-data.ts; scale 1 is 250k assets, 1M variants, 5M usage rows, 400k events
 * and audit rows), then runs every hot query (bench/db/hot-queries.ts) under EXPLAIN (ANALYZE,
 * BUFFERS) as the app's role with its request settings, in a transaction rolled back afterwards.
 * Prints each plan's shape and timing; exits 1 when a hot query scans a large table sequentially
 * (counted by pg_stat_xact_user_tables, so statements inside functions count too) or fails.
 *
 * Below scale 1 the tables are small enough that a sequential scan is the planner's right choice,
 * so seq scans are priced out (enable_seqscan = off): one that remains has no index to use. At
 * scale 1 the plans are the planner's own.
 *
 * Settings: --scale=<n> or BENCH_DB_SCALE (default 1); BENCH_DB_RUNS timed runs per query (3).
 */
import pg from 'pg';
import { applyDatabase } from '../../db/apply.ts';
import { pgSettingsFor } from '../../platform/request-context.ts';
import { acquireTestDatabase } from '../../test/support/services.ts';
import { hotQueries, LARGE_TABLES, type HotQuery } from './hot-queries.ts';
import { summarisePlan, type PlanNode } from './plan-summary.ts';
import { loadSyntheticData, shapeAt } from './synthetic-data.ts';

interface Measured {
  query: HotQuery;
  medianMs: number;
  plan: PlanNode;
  seqScanned: string[];
}

function setting(flag: string, variable: string, fallback: number): number {
  const fromFlag = process.argv.find((arg) => arg.startsWith(`--${flag}=`))?.split('=')[1];
  const value = Number(fromFlag ?? process.env[variable] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${flag} / ${variable} must be a positive number`);
  return value;
}

/**
 * Sequential scans per table counted by this backend and not yet flushed to the shared
 * statistics: a difference across one statement is what that statement scanned, statements run
 * inside functions included (EXPLAIN shows those only as a Function Scan).
 */
async function seqScanCounts(client: pg.Client): Promise<Map<string, number>> {
  const { rows } = await client.query<{ relname: string; seq_scan: string }>(
    // a partition's scans count as its table's (audit_logs_2026_12 is audit_logs)
    `select coalesce((select p.relname from pg_catalog.pg_inherits i join pg_catalog.pg_class p on p.oid = i.inhparent
                       where i.inhrelid = s.relid), s.relname) as relname, sum(s.seq_scan) as seq_scan
       from pg_catalog.pg_stat_xact_user_tables s where s.schemaname = 'imgplane' group by 1`,
  );
  return new Map(rows.map((row) => [row.relname, Number(row.seq_scan)]));
}

async function measure(client: pg.Client, query: HotQuery, runs: number, strict: boolean): Promise<Measured> {
  const times: number[] = [];
  let plan: PlanNode | undefined;
  let seqScanned: string[] = [];
  // one unmeasured run first: caches warm, as on a server that has been up a while
  for (let run = 0; run <= runs; run += 1) {
    await client.query('begin');
    try {
      for (const [name, value] of Object.entries(pgSettingsFor(query.claims))) {
        await client.query('select set_config($1, $2, true)', [name, value]);
      }
      if (strict) await client.query('set local enable_seqscan = off');
      const before = await seqScanCounts(client);
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number }] }>(
        `explain (analyze, buffers, format json) ${query.sql}`,
        query.params,
      );
      const result = rows[0]!['QUERY PLAN'][0];
      const after = await seqScanCounts(client);
      if (run > 0) times.push(result['Execution Time']);
      plan = result.Plan;
      seqScanned = [...after].filter(([table, count]) => count > (before.get(table) ?? 0)).map(([table]) => table).sort();
    } finally {
      await client.query('rollback');
    }
  }
  times.sort((a, b) => a - b);
  return { query, medianMs: times[Math.floor(times.length / 2)]!, plan: plan!, seqScanned };
}

/** Rows and on-disk bytes (heap, indexes, TOAST) per row of the large tables: docs/capacity.md's growth figures. */
async function printTableSizes(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ relname: string; rows: string; bytes: string }>(
    // a partitioned table's rows and bytes are its partitions'
    `select c.relname, sum(greatest(l.reltuples, 0))::bigint as rows, sum(pg_total_relation_size(l.oid)) as bytes
       from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join pg_catalog.pg_class l on l.oid = c.oid and c.relkind = 'r'
         or l.oid in (select t.relid from pg_catalog.pg_partition_tree(c.oid) t where t.isleaf and c.relkind = 'p')
      where n.nspname = 'imgplane' and c.relname = any($1) group by c.relname order by c.relname`,
    [[...LARGE_TABLES]],
  );
  for (const row of rows) {
    const perRow = Number(row.rows) > 0 ? Math.round(Number(row.bytes) / Number(row.rows)) : 0;
    console.log(`  ${row.relname.padEnd(16)} ${row.rows.padStart(9)} rows ${(Number(row.bytes) / 1048576).toFixed(1).padStart(8)} MB  ${perRow} B/row`);
  }
}

async function main(): Promise<void> {
  const scale = setting('scale', 'BENCH_DB_SCALE', 1);
  const runs = Math.round(setting('runs', 'BENCH_DB_RUNS', 3));
  const strict = scale < 1;
  const shape = shapeAt(scale);
  const database = await acquireTestDatabase();
  console.log(`imgplane database bench — scale ${scale} on ${database.source}`);
  const client = new pg.Client({ connectionString: database.url });
  let failures = 0;
  try {
    await applyDatabase(database.url);
    await client.connect();
    const started = performance.now();
    await loadSyntheticData(client, shape, (line) => console.log(`  ${line}`));
    console.log(`  loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await printTableSizes(client);
    if (strict) console.log('  scale < 1: enable_seqscan = off, so a Seq Scan left in a plan has no index to use');
    console.log('');
    for (const query of hotQueries(shape)) {
      try {
        const result = await measure(client, query, runs, strict);
        const large = result.seqScanned.filter((table) => LARGE_TABLES.has(table));
        const verdict = large.length > 0 ? `FAIL: seq scan of ${large.join(', ')}` : 'ok';
        if (large.length > 0) failures += 1;
        const summary = summarisePlan(result.plan);
        console.log(`${query.name} [${query.claims.role}] — ${result.medianMs.toFixed(2)} ms median of ${runs} — ${verdict}`);
        console.log(`    ${summary.shape}`);
        console.log(`    buffers: ${summary.sharedHit} hit, ${summary.sharedRead} read; rows ${summary.rows}` +
          (result.seqScanned.length > 0 ? `; seq scans (any table): ${result.seqScanned.join(', ')}` : ''));
      } catch (error) {
        failures += 1;
        console.log(`${query.name} [${query.claims.role}] — FAIL: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    await client.end().catch(() => {});
    await database.release();
  }
  console.log(failures === 0 ? '\nno hot query scans a large table' : `\n${failures} hot quer${failures === 1 ? 'y' : 'ies'} failed`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
