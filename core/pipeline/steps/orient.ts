import type { Step } from '../state.ts';

/** Applies the EXIF orientation (and drops the tag), so later steps see the picture upright. */
export const autoOrient: Step = (state) => {
  state.image.autoOrient();
  return state;
};

/** `r_`: clockwise, after auto-orientation (sharp applies EXIF orientation first). */
export const rotate: Step = (state, { ops }) => {
  if (ops.rotate !== 0) state.image.rotate(ops.rotate);
  return state;
};

/** `flip` mirrors top-to-bottom, `flop` left-to-right (sharp/ImageMagick meaning). */
export const flipFlop: Step = (state, { ops }) => {
  if (ops.flip) state.image.flip();
  if (ops.flop) state.image.flop();
  return state;
};
