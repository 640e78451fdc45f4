/**
 * CDN purge through the outbox: for an event that changes what an asset's (or a space's) URLs
 * answer (platform/purge/purge-plan.ts), enqueues one `cdn_purge` job per configured purge target
 * of the organisation or space. Each job retries on its own, so one CDN's outage neither blocks
 * the outbox nor repeats the purge at the others. The job key (event, target) makes a repeated
 * event replace its pending job rather than add one.
 */
import type pg from 'pg';
import type { PurgeTargets } from '../../platform/purge/purge-targets.ts';
import { planPurge } from '../../platform/purge/purge-plan.ts';
import { CDN_PURGE_TASK, type CdnPurgeJob } from '../tasks/cdn-purge.ts';
import type { EnqueueJob } from './preset-pregeneration.ts';
import type { EventConsumer } from './types.ts';

/** About 17 hours of graphile-worker's exponential backoff before a purge is given up. */
const MAX_ATTEMPTS = 12;

export function cdnPurgeConsumer(pool: pg.Pool, targets: Pick<PurgeTargets, 'adaptersFor'>, enqueue: EnqueueJob): EventConsumer {
  return {
    name: 'cdn-purge',
    async handle(event) {
      const plan = await planPurge(pool, event);
      if (!plan) return;
      for (const target of await targets.adaptersFor(plan.organizationId, plan.spaceId)) {
        const baseUrl = typeof target.settings.baseUrl === 'string' ? target.settings.baseUrl : undefined;
        const job: CdnPurgeJob = {
          targetId: target.id,
          request: {
            reference: `imgplane-${event.id}-${target.id}`,
            tags: plan.tags,
            paths: plan.paths,
            urls: baseUrl === undefined ? [] : plan.variantPaths.map((path) => `${baseUrl}${path}`),
          },
        };
        await enqueue(CDN_PURGE_TASK, job, { jobKey: `cdn_purge:${event.id}:${target.id}`, maxAttempts: MAX_ATTEMPTS });
      }
    },
  };
}
