import { FORMATS_WITH_ALPHA, parseBackground } from '../background.ts';
import type { Step } from '../state.ts';

/** Formats without alpha (JPEG) get transparency composited onto `b_` (white by default). */
export const flatten: Step = (state, { ops }) => {
  if (FORMATS_WITH_ALPHA.has(ops.format)) return state;
  const { r, g, b } = parseBackground(ops.background);
  state.image.flatten({ background: { r, g, b } });
  return state;
};
