/**
 * Transforms run in child processes (transform-process.ts), so that a transform over its deadline
 * really stops: the child is SIGKILLed, its CPU and memory return to the system at once, and a
 * fresh child takes its place. In-process this cannot be done: libvips works on libuv's threads,
 * and sharp's own `timeout()` is checked only as the final image is written, so a blur over a
 * huge intermediate ran on for minutes after its 503 (and held the process past SIGTERM).
 *
 * The same goes for an upload's decode check (decode-check.ts), which decodes the
 * whole original: a file that takes longer to decode than a transform may take is refused when
 * its deadline passes, without spending another second of CPU on it.
 *
 * One child runs one job at a time; the transform limiter in front bounds how many run at once,
 * so the pool never holds more children than that bound. Children start on first use, and a
 * killed one is replaced at once.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ImgplaneError, type ErrorCode } from '../errors.ts';
import type { TransformOps } from '../ops/types.ts';
import { transformTimeout, undecodableInTime } from './decode-error.ts';
import type { ImageHeader } from './header.ts';
import type { EncoderSettings, TransformLimits, TransformRequest, TransformResult } from './types.ts';

/** Parent → child: one transform, or one decode check. Buffers travel as Uint8Array (structured clone). */
export type JobMessage =
  | { kind: 'transform'; input: string | Uint8Array; ops: TransformOps; encoder: EncoderSettings; limits: TransformLimits }
  | { kind: 'decode-check'; input: string | Uint8Array; header: ImageHeader; maxInputPixels: number };

export type ChildReply =
  | { ready: true }
  /** `result` is null for a decode check. */
  | { ok: true; result: TransformResult | null; rssBytes: number }
  | {
      ok: false;
      /** Set for ImgplaneErrors (client-facing); absent for anything unexpected. */
      known: { code: ErrorCode; message: string; detail: Record<string, unknown> | undefined; retryAfterSeconds: number | undefined } | undefined;
      message: string;
      rssBytes: number;
    };

export interface TransformDeadline {
  /** `performance.now()` at which the child is killed. */
  deadlineAt: number;
  /** The budget the deadline stands for, named in the 503. */
  timeoutMs: number;
}

export interface TransformRunner {
  transform(request: TransformRequest, deadline: TransformDeadline): Promise<TransformResult>;
  /**
   * `assertDecodes` in a child. At the deadline the child is killed and this rejects with the 422
   * `undecodableInTime` gives: an original that slow to decode could never be delivered.
   */
  checkDecodes(input: string | Buffer, header: ImageHeader, maxInputPixels: number, deadline: TransformDeadline): Promise<void>;
  /** Process ids of the live children, and how many were killed at a deadline so far. */
  stats(): { pids: number[]; killed: number };
  close(): Promise<void>;
}

export interface ProcessPoolOptions {
  /** A child whose RSS passes this after a job is replaced: libvips and malloc keep what they touched. */
  recycleRssBytes?: number;
  /** Called when a child is killed at a deadline (metrics). */
  onKill?: () => void;
}

const CHILD_ENTRY = fileURLToPath(new URL('./transform-process.ts', import.meta.url));
/** Children run the TypeScript sources through the same loader as every entry point. */
const LOADER = pathToFileURL(fileURLToPath(new URL('../../runtime/typescript.mjs', import.meta.url))).href;
const DEFAULT_RECYCLE_RSS_BYTES = 1024 * 1024 * 1024;

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
}

export function createProcessPool(options: ProcessPoolOptions = {}): TransformRunner {
  const recycleRssBytes = options.recycleRssBytes ?? DEFAULT_RECYCLE_RSS_BYTES;
  const idle: Child[] = [];
  const all = new Set<Child>();
  let killed = 0;
  let closed = false;

  function spawn(): Child {
    const child = fork(CHILD_ENTRY, [], {
      execArgv: ['--import', LOADER],
      // glibc gives each of libvips' threads its own malloc arena, which keeps what it touched:
      // two arenas (sharp's docs advise limiting them). Large blocks are left to glibc's own
      // mmap threshold: forcing every block over 128 KiB to be mapped and unmapped cut a child's
      // peak by ~15 MB but cost ~7 % of miss throughput in page faults (sys time 4.5 -> 8 ms per
      // resize of the bench photo). An explicit setting wins.
      env: { MALLOC_ARENA_MAX: '2', ...process.env },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: ChildReply) => {
        if (!('ready' in message)) return;
        child.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number | null) => reject(new Error(`transform process exited (${code}) before it was ready`));
      child.once('message', onMessage);
      child.once('exit', onExit);
    });
    ready.catch(() => {}); // observed by whoever uses the child
    const entry = { process: child, ready };
    all.add(entry);
    child.once('exit', () => all.delete(entry));
    return entry;
  }

  function retire(child: Child, signal: NodeJS.Signals): void {
    all.delete(child);
    child.process.kill(signal);
  }

  function park(child: Child): void {
    // An idle child must not keep the parent alive (tests, scripts that forget close()).
    child.process.unref();
    child.process.channel?.unref();
    idle.push(child);
  }

  /** Starts a child in place of a killed one, so the next job does not pay the start against its deadline. */
  function replace(): void {
    if (closed) return;
    const child = spawn();
    child.ready.then(
      () => (closed ? child.process.kill('SIGKILL') : park(child)),
      () => {},
    );
  }

  /** Runs one job in a child, killed at the deadline: `overDeadline` is the error then. */
  async function run(
    jobFor: (remainingMs: number) => JobMessage,
    deadline: TransformDeadline,
    overDeadline: () => Error,
  ): Promise<TransformResult | null> {
    if (closed) throw new ImgplaneError('unavailable', 'transforms are shutting down', { retryAfterSeconds: 1 });
    const child = idle.pop() ?? spawn();
    child.process.ref();
    child.process.channel?.ref();
    const remainingMs = Math.max(1, Math.round(deadline.deadlineAt - performance.now()));
    const job = jobFor(remainingMs);
    return new Promise<TransformResult | null>((resolve, reject) => {
      const kill = () => {
        finish();
        killed += 1;
        options.onKill?.();
        retire(child, 'SIGKILL');
        replace();
        reject(overDeadline());
      };
      const timer = setTimeout(kill, remainingMs);
      const onExit = () => {
        finish();
        reject(new ImgplaneError('unavailable', 'the transform process stopped unexpectedly', { retryAfterSeconds: 1 }));
      };
      const onMessage = (message: ChildReply) => {
        if ('ready' in message) return;
        // The child's own guard won the race: its libvips threads may still be busy, so it goes too.
        if (!message.ok && message.known?.code === 'timeout') return kill();
        finish();
        if (message.rssBytes > recycleRssBytes) retire(child, 'SIGTERM');
        else park(child);
        if (!message.ok) reject(childError(message));
        else resolve(message.result === null ? null : { ...message.result, data: asBuffer(message.result.data) });
      };
      function finish(): void {
        clearTimeout(timer);
        child.process.off('message', onMessage);
        child.process.off('exit', onExit);
      }
      child.process.on('message', onMessage);
      child.process.once('exit', onExit);
      child.ready.then(
        () => child.process.send(job),
        (error: unknown) => {
          finish();
          reject(error);
        },
      );
    });
  }

  return {
    async transform(request, deadline) {
      const job = (remainingMs: number): JobMessage => ({
        kind: 'transform',
        input: request.input,
        ops: request.ops,
        encoder: request.encoder,
        // The child's own guard fires near the same moment; the kill is what makes it final.
        limits: { ...request.limits, timeoutMs: remainingMs },
      });
      const result = await run(job, deadline, () => transformTimeout(deadline.timeoutMs));
      if (result === null) throw new Error('the transform process answered a transform without a result');
      return result;
    },
    async checkDecodes(input, header, maxInputPixels, deadline) {
      const job = (): JobMessage => ({ kind: 'decode-check', input, header, maxInputPixels });
      await run(job, deadline, () => undecodableInTime(deadline.timeoutMs));
    },
    stats: () => ({ pids: [...all].flatMap((child) => (child.process.pid === undefined ? [] : [child.process.pid])), killed }),
    async close() {
      closed = true;
      idle.length = 0;
      const exits = [...all].map((child) => new Promise<void>((resolve) => child.process.once('exit', () => resolve())));
      for (const child of all) child.process.kill('SIGKILL');
      await Promise.all(exits);
    },
  };
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function childError(message: Extract<ChildReply, { ok: false }>): Error {
  if (!message.known) return new Error(`transform failed: ${message.message}`);
  const { code, message: text, detail, retryAfterSeconds } = message.known;
  return new ImgplaneError(code, text, { detail, retryAfterSeconds });
}
