/**
 * An ObjectStore that times every call into `imgplane_storage_operation_duration_seconds` by
 * backend, operation and outcome, around whichever adapter the configuration chose. A stream
 * from `getStream` is timed to the moment it is opened (its bytes flow at the reader's pace).
 */
import { StorageNotFoundError, type ObjectStore } from '../core/storage/types.ts';
import type { Metrics } from './metrics.ts';

type TimedOperation = 'put' | 'getStream' | 'getBuffer' | 'head' | 'exists' | 'delete' | 'presignGet' | 'moveToTier';

export function instrumentStore(store: ObjectStore, metrics: Pick<Metrics, 'storageDuration'>): ObjectStore {
  const timed = async <T>(operation: TimedOperation, call: () => Promise<T>): Promise<T> => {
    const end = metrics.storageDuration.startTimer({ backend: store.provider, operation });
    try {
      const result = await call();
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: error instanceof StorageNotFoundError ? 'not_found' : 'error' });
      throw error;
    }
  };
  return {
    provider: store.provider,
    put: (key, body, options) => timed('put', () => store.put(key, body, options)),
    getStream: (key) => timed('getStream', () => store.getStream(key)),
    getBuffer: (key) => timed('getBuffer', () => store.getBuffer(key)),
    head: (key) => timed('head', () => store.head(key)),
    exists: (key) => timed('exists', () => store.exists(key)),
    delete: (key) => timed('delete', () => store.delete(key)),
    presignGet: (key, ttlSeconds) => timed('presignGet', () => store.presignGet(key, ttlSeconds)),
    moveToTier: (key, tier) => timed('moveToTier', () => store.moveToTier(key, tier)),
    check: () => store.check(),
    close: () => store.close(),
  };
}
