/**
 * Mixed: 95 % requests for one hot variant, 5 % for new variants, the shape of real traffic
 * behind a CDN. The reference serves the same mix (fixed bytes, and sharp on the original).
 */
import { expectLayer } from '../lib/expect-layer.ts';
import { alternate, errorsCheck, ratioCheck, referenceNotes, type Scenario } from '../lib/scenario.ts';
import { hitPath, missTemplate } from '../lib/servers.ts';

const CONNECTIONS = 32;
const MISS_EVERY = 20;
/**
 * The issue names this scenario without a figure. Time per request is dominated by the misses
 * (one miss costs what hundreds of hits do), so the mix is held to nearly the miss target.
 */
const MINIMUM = 0.9;

const mixed: Scenario = {
  name: 'mixed',
  title: 'mixed 95/5',
  async run(ctx) {
    const imgplane = await ctx.servers.get('imgplane');
    const reference = await ctx.servers.get('reference');
    await expectLayer(imgplane, hitPath(imgplane), 'hit-memory');
    const servers = [reference, imgplane];
    const runs = await alternate(
      ctx.settings.rounds,
      Object.fromEntries(
        servers.map((server) => [
          server.label,
          async (round: number) => {
            const offset = ctx.widths.offset(`mixed:${round}`);
            const pattern = { kind: 'mixed', path: hitPath(server), template: missTemplate(server), offset, missEvery: MISS_EVERY } as const;
            const result = await ctx.load(server, pattern, CONNECTIONS);
            if (server === imgplane) ctx.widths.consumed(Math.ceil(result.requests / MISS_EVERY), CONNECTIONS);
            return result;
          },
        ]),
      ),
    );
    const ours = runs[imgplane.label]!;
    return {
      setup: `${CONNECTIONS} connections, 1 request in ${MISS_EVERY} a new width, the others ${hitPath(imgplane).split('/').pop()}, ${ctx.settings.rounds} × ${ctx.settings.seconds} s per server`,
      measurements: servers.map((server) => ({ server: server.label, runs: runs[server.label] })),
      checks: [ratioCheck(`mixed 95/5 ≥ ${MINIMUM.toFixed(2)}× reference`, MINIMUM, ours, runs[reference.label]!), errorsCheck('mixed', ours)],
      notes: referenceNotes(runs[reference.label]!),
    };
  },
};
export default mixed;
