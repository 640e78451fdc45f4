/** Shared by the ops tests: run parse + plan with sensible defaults, and assert grammar errors. */
import { expect } from 'vitest';
import { ImgplaneError } from '../errors.ts';
import { DEFAULT_POLICY } from '../policy.ts';
import type { EffectivePolicy } from '../policy.ts';
import { parseOps } from './parse.ts';
import { planVariant } from './plan.ts';
import type { VariantPlan, VariantPlanInput } from './plan.ts';

export const OPAQUE_STILL = { format: 'jpeg', hasAlpha: false, frames: 1, width: 800, height: 600 } as const;

export function planFor(
  raw: string,
  overrides: Partial<Omit<VariantPlanInput, 'parsed' | 'policy'>> & { policy?: Partial<EffectivePolicy> } = {},
): VariantPlan {
  const { policy, ...rest } = overrides;
  return planVariant({
    presets: {},
    extension: 'jpg',
    accept: undefined,
    source: OPAQUE_STILL,
    ...rest,
    parsed: parseOps(raw),
    policy: { ...DEFAULT_POLICY, ...policy },
  });
}

/** Asserts `run` throws the grammar's 400 with `detail` naming the offending token or key. */
export function expectInvalidOps(run: () => unknown, detail: { token: string } | { key: string }): ImgplaneError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ImgplaneError);
  const error = thrown as ImgplaneError;
  expect(error.code).toBe('invalid_ops');
  expect(error.status).toBe(400);
  expect(error.detail).toEqual(detail);
  expect(error.message.length).toBeGreaterThan(0);
  return error;
}
