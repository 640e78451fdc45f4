import { parseBackground } from '../background.ts';
import type { Step } from '../state.ts';

/** sharp's gamma takes exponents from 1 to 3 on each side of the resize. */
const SHARP_GAMMA_MIN = 1;

/**
 * Colour adjustments, which libvips applies after resizing in this order: `bri_`/`sat_`/`hue_`
 * (one modulate, in LCh), `gam_`, `con_` (a linear stretch around mid-grey), `norm` (luminance
 * stretched to the full range), `tint_` (the picture's lightness in the tint's chroma).
 */
export const adjust: Step = (state, { ops }) => {
  const { image } = state;
  if (ops.brightness !== null || ops.saturation !== null || ops.hue !== null) {
    image.modulate({
      ...(ops.brightness === null ? {} : { brightness: ops.brightness }),
      ...(ops.saturation === null ? {} : { saturation: ops.saturation }),
      ...(ops.hue === null ? {} : { hue: ops.hue }),
    });
  }
  if (ops.gamma !== null) {
    // sharp darkens by `gamma` before the resize and brightens by `gammaOut` after: the picture
    // ends up at input^(gamma / gammaOut), so output = input^(1/g) is (1, g) or (1/g, 1).
    const [gamma, gammaOut] = ops.gamma >= 1 ? [SHARP_GAMMA_MIN, ops.gamma] : [1 / ops.gamma, SHARP_GAMMA_MIN];
    image.gamma(gamma, gammaOut);
  }
  if (ops.contrast !== null) image.linear(ops.contrast, 128 * (1 - ops.contrast));
  if (ops.normalise) image.normalise();
  if (ops.tint !== null) {
    const { r, g, b } = parseBackground(ops.tint);
    image.tint({ r, g, b });
  }
  return state;
};
