import { outputFrame } from '../frame.ts';
import type { Step } from '../state.ts';

/**
 * `rect_`: the pre-resize extract, placed in the frame sharp extracts in (frame.ts). Also works
 * out the size and focal point resizing starts from. Configured after `r_` and `flip`/`flop`, so
 * sharp's "rotate before extract" rule is the one frame.ts assumes.
 */
export const crop: Step = (state, { ops }) => {
  const frame = outputFrame(state.size, ops, state.focus);
  if (frame.extract !== undefined) state.image.extract(frame.extract);
  state.size = frame.size;
  state.focus = frame.focus;
  return state;
};
