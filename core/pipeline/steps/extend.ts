import { FORMATS_WITH_ALPHA, parseBackground } from '../background.ts';
import type { Step } from '../state.ts';

/**
 * `ext_`: borders of the `b_` colour around the resized picture, with its alpha where the format
 * has one. JPEG borders are the opaque colour: libvips would otherwise darken them by the alpha.
 */
export const extend: Step = (state, { ops }) => {
  if (ops.extend === null) return state;
  const colour = parseBackground(ops.background);
  const background = FORMATS_WITH_ALPHA.has(ops.format) ? colour : { ...colour, alpha: 1 };
  state.image.extend({ ...ops.extend, background });
  return state;
};
