import type { Step } from '../state.ts';

/** `blur_` (Gaussian sigma), `sharpen_` (sigma of the unsharp mask), `bw` (greyscale). */
export const effects: Step = (state, { ops }) => {
  if (ops.blur !== null) state.image.blur(ops.blur);
  if (ops.sharpen !== null) state.image.sharpen({ sigma: ops.sharpen });
  if (ops.grayscale) state.image.grayscale();
  return state;
};
