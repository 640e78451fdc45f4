/**
 * Stampede: 100 requests at once for one variant that does not exist yet, split across two
 * instances sharing Redis, the database and storage (one instance when there is no Redis). Single
 * flight within a process and the keyed lock across them must turn them into one transform.
 */
import type { Scenario } from '../lib/scenario.ts';
import { imgplaneBase, transformsRun, type RunningServer } from '../lib/servers.ts';

const REQUESTS = 100;
/** A variant no other scenario asks for (they use the policy's quality). */
const OPS = 'w_1600-q_77';

interface Answer {
  status: number;
  etag: string | null;
}

async function ask(server: RunningServer, path: string): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
  await response.arrayBuffer();
  return { status: response.status, etag: response.headers.get('etag') };
}

const stampede: Scenario = {
  name: 'stampede',
  title: 'stampede',
  async run(ctx) {
    const first = await ctx.servers.get('imgplane');
    const instances = ctx.servers.available('imgplane-peer') ? [first, await ctx.servers.get('imgplane-peer')] : [first];
    // Both instances serve the asset the first one uploaded: same organisation, same URL.
    const path = `${imgplaneBase(first)}/${OPS}.jpg`;
    const before = await Promise.all(instances.map(transformsRun));
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: REQUESTS }, (_, index) => ask(instances[index % instances.length]!, path)));
    const elapsedMs = performance.now() - started;
    const after = await Promise.all(instances.map(transformsRun));
    const transforms = after.reduce((sum, count, index) => sum + count - before[index]!, 0);
    const ok = answers.filter((answer) => answer.status === 200).length;
    const etags = new Set(answers.map((answer) => answer.etag));
    return {
      setup: `${REQUESTS} simultaneous requests for ${OPS}.jpg (new) across ${instances.length} instance(s)${instances.length === 1 ? ' (no Redis: one instance)' : ''}`,
      measurements: [
        { server: 'imgplane', value: { amount: transforms, unit: 'transforms' } },
        { server: 'imgplane', value: { amount: elapsedMs, unit: 'ms until the last answer' } },
      ],
      checks: [
        { target: `stampede ${REQUESTS} → 1 transform`, measured: `${transforms} transform(s)`, verdict: transforms === 1 ? 'PASS' : 'FALL SHORT' },
        {
          target: 'stampede: every request answered 200 with one ETag',
          measured: `${ok} × 200, ${etags.size} ETag(s)`,
          verdict: ok === REQUESTS && etags.size === 1 ? 'PASS' : 'FALL SHORT',
        },
      ],
      notes: [],
    };
  },
};
export default stampede;
