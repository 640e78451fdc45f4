/**
 * The shape of every hit scenario: one variant, already in the layer under test, asked for by
 * 32 connections, against the bare reference answering the same bytes (or against another
 * imgplane configuration, with the reference still measured to show wrk was not the limit).
 */
import { expectLayer } from './expect-layer.ts';
import { alternate, errorsCheck, p99, ratioCheck, referenceHeadroomNote, referenceNotes, type Check, type Scenario } from './scenario.ts';
import { hitPath, type ServerKind } from './servers.ts';

export const HIT_CONNECTIONS = 32;

export interface HitScenarioSpec {
  name: string;
  title: string;
  /** The imgplane configuration whose hits land in `layer`. */
  kind: ServerKind;
  layer: 'hit-memory' | 'hit-redis' | 'hit-storage';
  /** Throughput target as a share of the reference. */
  minimum: number;
  /** Also held to p99 ≤ this many times the reference's p99. */
  p99Factor?: number;
  /** Peers measured alongside (rows without a target). */
  peers?: readonly ServerKind[];
  /** Held to a share of this imgplane configuration (hits in the same layer) instead of the reference. */
  against?: ServerKind;
}

export function hitScenario(spec: HitScenarioSpec): Scenario {
  return {
    name: spec.name,
    title: spec.title,
    async run(ctx) {
      if (!ctx.servers.available(spec.kind)) {
        return { setup: 'skipped', measurements: [], checks: [], notes: [`skipped: ${spec.kind} needs Redis and none answers here`] };
      }
      const imgplane = await ctx.servers.get(spec.kind);
      const reference = await ctx.servers.get('reference');
      const baseline = spec.against === undefined ? reference : await ctx.servers.get(spec.against);
      const peers = await Promise.all((spec.peers ?? []).map((kind) => ctx.servers.get(kind)));
      await expectLayer(imgplane, hitPath(imgplane), spec.layer);
      if (baseline !== reference) await expectLayer(baseline, hitPath(baseline), spec.layer);
      const compared = baseline === reference ? [reference, imgplane] : [reference, baseline, imgplane];
      const servers = [...compared.slice(0, -1), ...peers, imgplane];
      // ipx renders every request: warming it would only queue renders.
      for (const server of compared) await ctx.warm(server, { kind: 'fixed', path: hitPath(server) }, HIT_CONNECTIONS);
      const runs = await alternate(
        ctx.settings.rounds,
        Object.fromEntries(servers.map((server) => [server.label, () => ctx.load(server, { kind: 'fixed', path: hitPath(server) }, HIT_CONNECTIONS)])),
      );
      const ours = runs[imgplane.label]!;
      const bare = runs[reference.label]!;
      const base = runs[baseline.label]!;
      const baseName = baseline === reference ? 'reference' : baseline.label;
      const checks: Check[] = [ratioCheck(`${spec.title} ≥ ${spec.minimum.toFixed(2)}× ${baseName}`, spec.minimum, ours, base)];
      if (spec.p99Factor !== undefined) {
        const factor = p99(ours) / p99(base);
        checks.push({
          target: `${spec.title} p99 ≤ ${spec.p99Factor}× ${baseName} p99`,
          measured: `${p99(ours).toFixed(1)} ms = ${factor.toFixed(2)}×`,
          verdict: checks[0]!.verdict === 'INVALID' ? 'INVALID' : factor <= spec.p99Factor ? 'PASS' : 'FALL SHORT',
        });
      }
      checks.push(errorsCheck(spec.title, ours));
      return {
        setup: `${HIT_CONNECTIONS} connections, ${hitPath(imgplane).split('/').pop()} (answered from ${spec.layer}), ${ctx.settings.rounds} × ${ctx.settings.seconds} s per server`,
        measurements: servers.map((server) => ({ server: server.label, runs: runs[server.label] })),
        checks,
        notes: referenceNotes(bare, referenceHeadroomNote(ours, bare)),
      };
    },
  };
}
