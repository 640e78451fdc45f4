/**
 * The child side of the transform processes (process-pool.ts): runs one job (a transform or an
 * upload's decode check) at a time for its parent over IPC. It holds no state between jobs, so the parent may SIGKILL it at a deadline
 * and lose nothing but the job; it exits by itself when the parent goes away.
 */
import { isImgplaneError } from '../errors.ts';
import { assertDecodes } from './decode-check.ts';
import { configureSharp } from './limiter.ts';
import type { ChildReply, JobMessage } from './process-pool.ts';
import { transformImage } from './transform.ts';
import type { TransformResult } from './types.ts';

configureSharp();

function reply(message: ChildReply): void {
  process.send?.(message);
}

function runJob(message: JobMessage): Promise<TransformResult | null> {
  const input = typeof message.input === 'string' ? message.input : Buffer.from(message.input.buffer, message.input.byteOffset, message.input.byteLength);
  if (message.kind === 'decode-check') return assertDecodes(input, message.header, message.maxInputPixels).then(() => null);
  return transformImage({ input, ops: message.ops, encoder: message.encoder, limits: message.limits });
}

process.on('message', (message: JobMessage) => {
  runJob(message).then(
    (result) => reply({ ok: true, result, rssBytes: process.memoryUsage.rss() }),
    (error: unknown) => {
      const known = isImgplaneError(error)
        ? { code: error.code, message: error.message, detail: error.detail, retryAfterSeconds: error.retryAfterSeconds }
        : undefined;
      reply({ ok: false, known, message: error instanceof Error ? error.message : String(error), rssBytes: process.memoryUsage.rss() });
    },
  );
});
process.on('disconnect', () => process.exit(0));
reply({ ready: true });
