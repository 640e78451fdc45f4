/**
 * `transformImage`: one original plus fully resolved ops in, one encoded variant out. The steps run
 * in this order; each is a small function of (state, options). Because libvips evaluates lazily,
 * the configuring steps take microseconds and the pixel work (decode included) is timed as `encode`.
 */
import { createDeadline } from './deadline.ts';
import type { Deadline } from './deadline.ts';
import type { Step, StepOptions } from './state.ts';
import { effects } from './steps/effects.ts';
import { colour } from './steps/colour.ts';
import { CONTENT_TYPES, encode } from './steps/encode.ts';
import { flatten } from './steps/flatten.ts';
import { load } from './steps/load.ts';
import { autoOrient, flipFlop, rotate } from './steps/orient.ts';
import { resize } from './steps/resize.ts';
import type { TransformRequest, TransformResult } from './types.ts';

export const PIPELINE_STEPS: ReadonlyArray<readonly [name: string, step: Step]> = [
  ['autoOrient', autoOrient],
  ['rotate', rotate],
  ['flipFlop', flipFlop],
  ['resize', resize],
  ['effects', effects],
  ['colour', colour],
  ['flatten', flatten],
];

export async function transformImage(request: TransformRequest): Promise<TransformResult> {
  const { input, ops, encoder, limits } = request;
  const deadline = createDeadline(limits.timeoutMs, request.signal);
  const timings: Record<string, number> = {};
  const options: StepOptions = { ops, encoder, limits };

  let state = await timed('load', timings, deadline, () => deadline.race(load(input, ops, limits)));
  for (const [name, step] of PIPELINE_STEPS) {
    const current = state;
    state = await timed(name, timings, deadline, () => step(current, options));
  }
  const encoded = await timed('encode', timings, deadline, () => deadline.race(encode(state, options, input)));
  return { ...encoded, format: ops.format, contentType: CONTENT_TYPES[ops.format], timings };
}

async function timed<T>(
  name: string,
  timings: Record<string, number>,
  deadline: Deadline,
  work: () => T | Promise<T>,
): Promise<T> {
  deadline.check();
  const startedAt = performance.now();
  const result = await work();
  timings[name] = Math.round((performance.now() - startedAt) * 100) / 100;
  return result;
}
