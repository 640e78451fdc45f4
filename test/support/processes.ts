/**
 * Runs the project's own entry points as child processes, on the pinned Node with the TypeScript
 * loader, exactly as `npm start`, `npm run worker` and the `imgplane` bin do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = path.join(REPO_ROOT, 'node_modules', '.bin', 'node');
const LOADER = path.join(REPO_ROOT, 'runtime', 'typescript.mjs');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `imgplane ARGS` through its bin launcher and collects what it printed. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  const child = spawn(NODE, [path.join(REPO_ROOT, 'cli', 'imgplane.mjs'), ...args], {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface Started {
  child: ChildProcess;
  /** Everything printed so far, both streams. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `server/main.ts` or `worker/main.ts` as node itself (PID of the child is node's, as in a container). */
export function startEntryPoint(entry: 'server/main.ts' | 'worker/main.ts', env: NodeJS.ProcessEnv): Started {
  const child = spawn(NODE, ['--import', LOADER, path.join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            listeners.delete(check);
            resolve(match);
          }
        };
        listeners.add(check);
        check();
        void exited.then(({ code, signal }) => {
          if (!listeners.has(check)) return;
          listeners.delete(check);
          reject(new Error(`${entry} exited (${code ?? signal}) before printing ${pattern}:\n${output}`));
        });
      });
    },
  };
}

/** The parent's environment without the variables that would point a child at the wrong place. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'AUTH_DATABASE_URL', 'REDIS_URL', 'IMGPLANE_API_KEY', 'IMGPLANE_URL', 'NODE_ENV', 'PORT', 'HOST', 'STORAGE', 'WORKER_MODE']) {
    delete env[name];
  }
  return { ...env, NO_COLOR: '1' };
}
