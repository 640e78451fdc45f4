/**
 * The streaming half of a remote put, shared by the S3 and MinIO adapters: checks the body on
 * the way (integrity.ts), gives it a known size (spool.ts), and reports the real cause when the
 * upload fails because of the body rather than the store.
 */
import { pipeline, type Readable } from 'node:stream';
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
  const guarded = pipeline(body, guard.stream, () => {});
  // A failed body must end the request at once: the server would otherwise wait for the missing
  // bytes until the idle timeout.
  const aborter = new AbortController();
  guarded.once('error', () => aborter.abort());
  try {
    await withKnownSize(guarded, expected.size, (payload, size) => send(payload, size, aborter.signal));
  } catch (error) {
    guarded.destroy();
    // HTTP clients report a failed body in their own words: name the real cause (a checksum
    // mismatch, or the caller's stream failing — not the store's fault) when there is one.
    throw guard.failure() ?? sourceFailure ?? error;
  }
}
