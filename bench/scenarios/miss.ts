/**
 * Miss: every request a variant nobody asked for before (a new width of the 2725x2225 original),
 * against the bare server resizing the same original held in memory with the same encoder
 * options, and ipx. imgplane's transform count proves every one of its requests was a miss.
 */
import { alternate, errorsCheck, ratioCheck, referenceNotes, type Scenario } from '../lib/scenario.ts';
import { missTemplate, transformsRun } from '../lib/servers.ts';

const CONNECTIONS = 4;

const miss: Scenario = {
  name: 'miss',
  title: 'miss',
  async run(ctx) {
    const imgplane = await ctx.servers.get('imgplane');
    const reference = await ctx.servers.get('reference');
    const ipx = await ctx.servers.get('ipx');
    const servers = [reference, ipx, imgplane];
    const transformsBefore = await transformsRun(imgplane);
    const runs = await alternate(
      ctx.settings.rounds,
      Object.fromEntries(
        servers.map((server) => [
          server.label,
          // Within a round every server gets the same widths, so each renders the same sizes.
          async (round: number) => {
            const result = await ctx.load(server, { kind: 'unique', template: missTemplate(server), offset: ctx.widths.offset(`miss:${round}`) }, CONNECTIONS);
            if (server === imgplane) ctx.widths.consumed(result.requests, CONNECTIONS);
            return result;
          },
        ]),
      ),
    );
    const ours = runs[imgplane.label]!;
    const requests = ours.reduce((sum, run) => sum + run.requests, 0);
    const transforms = (await transformsRun(imgplane)) - transformsBefore;
    return {
      setup: `${CONNECTIONS} connections, a new width (200–2700) per request, ${ctx.settings.rounds} × ${ctx.settings.seconds} s per server`,
      measurements: servers.map((server) => ({ server: server.label, runs: runs[server.label] })),
      checks: [
        ratioCheck('miss ≥ 0.95× reference', 0.95, ours, runs[reference.label]!),
        // Requests still in flight when wrk stops are rendered too, hence "at least".
        {
          target: 'miss: every imgplane request rendered',
          measured: `${transforms} transforms / ${requests} requests`,
          verdict: transforms >= requests ? 'PASS' : 'FALL SHORT',
        },
        errorsCheck('miss', ours),
      ],
      notes: referenceNotes(runs[reference.label]!),
    };
  },
};
export default miss;
