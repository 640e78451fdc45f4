/**
 * The streaming half of a remote put, shared by the S3 and MinIO adapters: checks the body on
 * the way (integrity.ts), gives it a known size (spool.ts), and reports the real cause when the
 * upload fails because of the body rather than the store.
 */
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { guardBody, type BodyExpectations } from './integrity.ts';
import { withKnownSize } from './spool.ts';

export async function putCheckedStream(
  key: string,
  body: Readable,
  expected: BodyExpectations,
  send: (payload: Readable, size: number, abort: AbortSignal) => Promise<unknown>,
): Promise<void> {
  const guard = guardBody(key, expected);
  let sourceFailure: unknown;
  body.once('error', (error) => (sourceFailure = error));
  // The client reads `payload`, which ends only when the guard passed. On failure the request is
  // aborted at once (the server would otherwise wait for the missing bytes until the idle
  // timeout), and `payload` is destroyed *without* an error: the SDK wraps bodies in streams that
  // re-emit a body error with no listener attached, which would crash the process.
  const payload = new PassThrough();
  const aborter = new AbortController();
  pipeline(body, guard.stream, (error) => {
    if (error) {
      aborter.abort();
      payload.destroy();
    }
  });
  guard.stream.pipe(payload);
  try {
    await withKnownSize(payload, expected.size, (sized, size) => send(sized, size, aborter.signal));
  } catch (error) {
    // Not `body`: it may be the client's request, which must stay open for the 503 answer.
    payload.destroy();
    throw guard.failure() ?? sourceFailure ?? error;
  }
}
