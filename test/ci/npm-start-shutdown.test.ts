/**
 * The README's promise "Ctrl-C (or SIGTERM) stops it cleanly, embedded PostgreSQL included", for
 * the pid a user sees: `npm start`'s. npm forwards SIGTERM to the script's shell only; a shell that
 * stays between npm and node dies of it and leaves node and PostgreSQL running with PPID 1, which
 * is what happened before the start script `exec`ed node. This starts the real zero-config
 * `npm start` (its own data folder and ports), signals the npm process and checks that every
 * process it started is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it, vi } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
/** Generous bounds on a loaded 2-core machine: start-up includes initdb and every migration. */
const LISTEN_WITHIN_MS = 90_000;
const GONE_WITHIN_MS = 30_000;

let dataDir: string | undefined;
let npm: ChildProcess | undefined;
let started: number[] = [];

afterEach(async () => {
  // Only if the test failed half-way: never leave its processes behind. Politely first (the
  // server stops its cluster on SIGTERM), then by force.
  const left = [...started, ...(npm?.pid === undefined ? [] : [npm.pid])].filter(isAlive);
  for (const pid of left) signal(pid, 'SIGTERM');
  for (let waited = 0; waited < GONE_WITHIN_MS && left.some(isAlive); waited += 100) await sleep(100);
  for (const pid of left.filter(isAlive)) signal(pid, 'SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  [dataDir, npm, started] = [undefined, undefined, []];
});

interface NpmStart {
  child: ChildProcess;
  port: number;
  pgPort: number;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves once it printed `text`; rejects if it exits first. */
  printed(text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The real zero-config `npm start`, with a data folder and ports of its own. */
async function startNpm(): Promise<NpmStart> {
  dataDir = await mkdtemp(path.join(tmpdir(), 'imgplane-npm-start-'));
  // As root the cluster runs as the postgres OS user, which must be able to enter this folder.
  await chmod(dataDir, 0o755);
  const [port, pgPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, IMGPLANE_DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort) };
  // Zero-config: nothing of the test run's own configuration may leak into the product.
  for (const name of ['DATABASE_URL', 'AUTH_DATABASE_URL', 'REDIS_URL', 'STORAGE', 'NODE_ENV', 'HOST', 'WORKER_MODE', 'IMGPLANE_MASTER_KEY', 'LOG_LEVEL']) delete env[name];

  const child = spawn('npm', ['start'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  npm = child;
  let output = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters.filter((candidate) => output.includes(candidate.text))) waiter.resolve();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signalName) => resolve({ code, signal: signalName })),
  );
  return {
    child,
    port,
    pgPort,
    output: () => output,
    printed: (text) =>
      new Promise<void>((resolve, reject) => {
        if (output.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void exited.then(() => reject(new Error(`npm start exited before printing "${text}":\n${output}`)));
      }),
    exited,
  };
}

/** npm waits for its script, which exits 0 once its shutdown has stopped the cluster. */
async function expectCleanExit(start: NpmStart): Promise<void> {
  const outcome = await Promise.race([start.exited, sleep(GONE_WITHIN_MS).then(() => 'still running' as const)]);
  expect(outcome, start.output()).toEqual({ code: 0, signal: null });
  expect(start.output()).toContain('SIGTERM: shutting down');
}

const isPostgresOn = (pgPort: number) => (entry: ProcessEntry) => /\/bin\/postgres\s/.test(entry.command) && entry.command.includes(`-p ${pgPort}`);

it(
  'stops the server and its embedded PostgreSQL when npm start receives SIGTERM',
  async () => {
    const start = await startNpm();
    await start.printed(`listening on http://127.0.0.1:${start.port}`);
    const processes = await descendantsOf(start.child.pid!);
    started = processes.map((entry) => entry.pid);
    const server = processes.find((entry) => entry.command.includes('server/main.ts') && entry.command.includes('node'));
    const postgres = processes.find(isPostgresOn(start.pgPort));
    // Not vacuous: both processes a user would find orphaned are really there before the signal.
    expect(server, `no server process under npm:\n${listing(processes)}`).toBeDefined();
    expect(postgres, `no postgres process under npm:\n${listing(processes)}`).toBeDefined();

    start.child.kill('SIGTERM');

    await expectCleanExit(start);
    await vi.waitFor(() => expect(started.filter(isAlive), listing(processes)).toEqual([]), { timeout: GONE_WITHIN_MS, interval: 100 });
  },
  LISTEN_WITHIN_MS + 2 * GONE_WITHIN_MS + 10_000,
);

it(
  'stops the embedded PostgreSQL when SIGTERM arrives during startup, before the server listens',
  async () => {
    const start = await startNpm();
    // The moment the cluster runs and the migrations have still to come: Node's default action
    // on SIGTERM here used to leave this postgres running with PPID 1.
    let postgres: ProcessEntry | undefined;
    await vi.waitFor(async () => {
      postgres = (await descendantsOf(start.child.pid!)).find(isPostgresOn(start.pgPort));
      expect(postgres, start.output()).toBeDefined();
    }, { timeout: LISTEN_WITHIN_MS, interval: 20 });
    started = [postgres!.pid];
    expect(start.output()).not.toContain('listening on');

    start.child.kill('SIGTERM');

    await expectCleanExit(start);
    expect(start.output()).not.toContain('listening on');
    await vi.waitFor(() => expect(isAlive(postgres!.pid), start.output()).toBe(false), { timeout: GONE_WITHIN_MS, interval: 100 });
  },
  LISTEN_WITHIN_MS + 2 * GONE_WITHIN_MS + 10_000,
);

interface ProcessEntry {
  pid: number;
  command: string;
}

/** Every process below `root` (children, grandchildren ...), read from /proc. */
async function descendantsOf(root: number): Promise<ProcessEntry[]> {
  const table: { pid: number; ppid: number; command: string }[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => undefined);
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => undefined);
    if (stat === undefined || cmdline === undefined) continue; // exited meanwhile
    // The command name in parentheses may itself contain spaces and parentheses: split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    table.push({ pid: Number(name), ppid, command: cmdline.replaceAll('\0', ' ').trim() });
  }
  const found: ProcessEntry[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const entry of table) {
      if (parents.has(entry.ppid) && !parents.has(entry.pid)) {
        parents.add(entry.pid);
        found.push({ pid: entry.pid, command: entry.command });
        grew = true;
      }
    }
  }
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** A zombie has exited and only waits for its parent to read its status: it is gone for our purposes. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function listing(processes: ProcessEntry[]): string {
  return processes.map((entry) => `${entry.pid} ${entry.command.slice(0, 120)}`).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
