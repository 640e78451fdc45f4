/**
 * `transformImage`: one original plus fully resolved ops in, one encoded variant out. The steps run
 * in this order; each is a small function of (state, options). Because libvips evaluates lazily,
 * the configuring steps take microseconds and the pixel work (decode included) is timed as `encode`.
 */
import { assertWithinBudget } from './budget.ts';
import { createDeadline } from './deadline.ts';
import { orientedSize } from './header.ts';
import type { Deadline } from './deadline.ts';
import type { Step, StepOptions } from './state.ts';
import { adjust } from './steps/adjust.ts';
import { crop } from './steps/crop.ts';
import { effects } from './steps/effects.ts';
import { extend } from './steps/extend.ts';
import { colour } from './steps/colour.ts';
import { CONTENT_TYPES, encode } from './steps/encode.ts';
import { flatten } from './steps/flatten.ts';
import { load } from './steps/load.ts';
import { autoOrient, flipFlop, rotate } from './steps/orient.ts';
import { resize } from './steps/resize.ts';
import { trim } from './steps/trim.ts';
import type { TransformRequest, TransformResult } from './types.ts';

/**
 * Configuration order. libvips then runs them in its own fixed order (flip/flop before r_, the
 * colour adjustments after resizing and `ext_`; docs/url-reference.md "Processing order"):
 * `crop` is written for that order.
 */
export const PIPELINE_STEPS: ReadonlyArray<readonly [name: string, step: Step]> = [
  ['autoOrient', autoOrient],
  ['rotate', rotate],
  ['flipFlop', flipFlop],
  ['crop', crop],
  ['trim', trim],
  ['resize', resize],
  ['extend', extend],
  ['effects', effects],
  ['adjust', adjust],
  ['colour', colour],
  ['flatten', flatten],
];

export async function transformImage(request: TransformRequest): Promise<TransformResult> {
  const { input, ops, encoder, limits } = request;
  const deadline = createDeadline(limits.timeoutMs, request.signal);
  const timings: Record<string, number> = {};
  const options: StepOptions = { ops, encoder, limits };

  let state = await timed('load', timings, deadline, () => deadline.race(load(input, ops, limits)));
  // The header is the truth (the caller's check used stored sizes): still before any pixel work.
  assertWithinBudget({ ...orientedSize(state.header), frames: state.header.frames }, ops, encoder, {
    maxOutputPixels: limits.maxOutputPixels,
    maxCost: limits.maxCost,
    maxFrames: limits.maxFrames,
  });
  for (const [name, step] of PIPELINE_STEPS) {
    const current = state;
    state = await timed(name, timings, deadline, () => {
      const next = step(current, options);
      return next instanceof Promise ? deadline.race(next) : next;
    });
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
