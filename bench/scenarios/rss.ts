/**
 * Peak RSS: the high-water mark of resident memory (VmHWM) of each server's process tree
 * (imgplane's includes its transform child processes) after the scenarios run before it in
 * this invocation, against the bare sharp server. Listed last so it sees them all.
 */
import type { Check, Scenario } from '../lib/scenario.ts';
import { memoryCacheBytes, peakRssByProcess, peakRssBytes, type RunningServer } from '../lib/servers.ts';

const MAXIMUM = 1.5;
const MB = 1024 * 1024;

const rss: Scenario = {
  name: 'rss',
  title: 'peak RSS',
  async run(ctx) {
    const reference = await ctx.servers.get('reference');
    const ipx = await ctx.servers.get('ipx');
    const imgplane = await ctx.servers.get('imgplane');
    const peaks = [reference, ipx, imgplane].map((server) => ({ server: server.label, value: { amount: peakRssBytes(server) / MB, unit: 'MB' } }));
    const ratio = peakRssBytes(imgplane) / peakRssBytes(reference);
    const check: Check = {
      target: `peak RSS ≤ ${MAXIMUM}× reference`,
      measured: `${ratio.toFixed(2)}×`,
      verdict: ratio <= MAXIMUM ? 'PASS' : 'FALL SHORT',
    };
    const loaded = ctx.ran.some((name) => name === 'miss' || name === 'mixed');
    return {
      setup: `VmHWM after: ${ctx.ran.length > 0 ? ctx.ran.join(', ') : 'start-up only'}`,
      measurements: peaks,
      checks: [loaded ? check : { ...check, verdict: 'INVALID', reason: 'no miss or mixed scenario ran before it: select them too' }],
      notes: [await whereImgplaneMemoryIs(imgplane)],
    };
  },
};
/** Its server process (and the part of it that is the memory cache), each transform process. */
async function whereImgplaneMemoryIs(imgplane: RunningServer): Promise<string> {
  const [server, ...transforms] = peakRssByProcess(imgplane).map((bytes) => `${(bytes / MB).toFixed(0)} MB`);
  const cache = `${((await memoryCacheBytes(imgplane)) / MB).toFixed(0)} MB`;
  return `imgplane by process: server ${server} (its memory cache holds ${cache} now), transform processes ${transforms.join(', ') || 'none'}`;
}

export default rss;
