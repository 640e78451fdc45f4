/**
 * `cdn_purge`: one purge request at one CDN target (enqueued by worker/consumers/cdn-purge.ts).
 * A failure throws, so graphile-worker retries it with exponential backoff; a target deleted or
 * disabled meanwhile has nothing left to purge.
 */
import type { Task } from 'graphile-worker';
import type { PurgeTargets } from '../../platform/purge/purge-targets.ts';
import type { PurgeRequest } from '../../platform/purge/types.ts';

export const CDN_PURGE_TASK = 'cdn_purge';

export interface CdnPurgeJob {
  targetId: string;
  request: PurgeRequest;
}

export function cdnPurgeTask(targets: Pick<PurgeTargets, 'adapter'>): Task {
  return async (payload) => {
    const job = payload as CdnPurgeJob;
    const target = await targets.adapter(job.targetId);
    if (!target) return;
    await target.adapter.purge(job.request);
  };
}
