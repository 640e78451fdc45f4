/**
 * AVIF without the wait: the first `fmt_auto` answer for a large new variant, asked for by a
 * browser that takes AVIF, must not wait for the AVIF encode (it is the next accepted format),
 * and the AVIF must be served soon after its encode time. The encode time is that of the same
 * size rendered inline as an explicit `.avif` (a sibling variant: another quality), read from
 * Server-Timing.
 */
import type { Scenario } from '../lib/scenario.ts';
import { imgplaneBase, type RunningServer } from '../lib/servers.ts';

const BROWSER_ACCEPT = 'image/avif,image/webp,image/apng,*/*;q=0.8';
const FIRST_RESPONSE_MS = 800;
const READY_SLACK_MS = 1000;
/** Widths up to the 2048 px, none used by another scenario with these ops. */
const WIDTHS = [2048, 1600, 1200, 1800, 1400, 2000];

interface Sample {
  width: number;
  firstMs: number;
  firstType: string | null;
  readyMs: number;
  encodeMs: number;
}

async function timedGet(server: RunningServer, path: string, accept = BROWSER_ACCEPT): Promise<{ ms: number; type: string | null; timing: string | null }> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { accept } });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
  return { ms: performance.now() - started, type: response.headers.get('content-type'), timing: response.headers.get('server-timing') };
}

async function sample(server: RunningServer, width: number): Promise<Sample> {
  const path = `${imgplaneBase(server)}/w_${width}-q_auto-fmt_auto.jpg`;
  const started = performance.now();
  const first = await timedGet(server, path);
  let readyMs = first.type === 'image/avif' ? first.ms : Number.POSITIVE_INFINITY;
  while (!Number.isFinite(readyMs) && performance.now() - started < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if ((await timedGet(server, path)).type === 'image/avif') readyMs = performance.now() - started;
  }
  const sibling = await timedGet(server, `${imgplaneBase(server)}/w_${width}-q_54.avif`);
  const encodeMs = Number(/transform;dur=([\d.]+)/.exec(sibling.timing ?? '')?.[1] ?? Number.NaN);
  return { width, firstMs: first.ms, firstType: first.type, readyMs, encodeMs };
}

const avifFirst: Scenario = {
  name: 'avif-first',
  title: 'fmt_auto AVIF first response',
  async run(ctx) {
    const imgplane = await ctx.servers.get('imgplane');
    const samples: Sample[] = [];
    for (const width of WIDTHS.slice(0, Math.max(3, ctx.settings.rounds * 2))) {
      await ctx.servers.settle();
      samples.push(await sample(imgplane, width));
    }
    const slowestFirst = Math.max(...samples.map((s) => s.firstMs));
    const late = samples.filter((s) => !(s.readyMs <= s.encodeMs + READY_SLACK_MS));
    return {
      setup: `${samples.length} new variants ${samples.map((s) => s.width).join(', ')} px wide, fmt_auto with a browser's Accept, one at a time`,
      measurements: samples.map((s) => ({
        server: `imgplane w_${s.width}`,
        value: { amount: s.firstMs, unit: `ms first answer (${s.firstType}); AVIF served after ${s.readyMs.toFixed(0)} ms, its encode ${s.encodeMs.toFixed(0)} ms` },
      })),
      checks: [
        {
          target: `AVIF first response ≤ ${FIRST_RESPONSE_MS} ms (slowest of ${samples.length})`,
          measured: `${slowestFirst.toFixed(0)} ms`,
          verdict: slowestFirst <= FIRST_RESPONSE_MS ? 'PASS' : 'FALL SHORT',
        },
        {
          target: `AVIF served within its encode + ${READY_SLACK_MS} ms`,
          measured: `${samples.length - late.length} of ${samples.length}`,
          verdict: late.length === 0 ? 'PASS' : 'FALL SHORT',
        },
      ],
      notes: [],
    };
  },
};
export default avifFirst;
