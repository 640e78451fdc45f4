import sharp from 'sharp';
import type { OutputInfo, Sharp } from 'sharp';
import { ImgplaneError } from '../../errors.ts';
import type { Step } from '../state.ts';
import { outputSpace } from './colour.ts';
import { stopAfter } from './load.ts';

/**
 * `trim`: removes the borders that match the top-left pixel within the threshold. libvips trims
 * before its pre-resize extract and before its turns, but `trim` must see the picture after
 * `rect_`, `r_` and `flip`/`flop`, and resizing must know the trimmed size (for a focal point). So
 * this step renders what is configured so far to raw pixels, trims those, and continues the
 * pipeline from the result: the one step that holds a whole picture in memory (its pixel count
 * times its channels, bounded by the policy's max_input_pixels).
 */
export const trim: Step = async (state, { ops, limits }) => {
  if (ops.trim === null) return state;
  const configured = await rendered(state.image.toColourspace(outputSpace(state, ops)));
  const trimmed = await rendered(configured.image.trim({ threshold: ops.trim }));
  const left = -(trimmed.info.trimOffsetLeft ?? 0);
  const top = -(trimmed.info.trimOffsetTop ?? 0);
  const size = { width: trimmed.info.width, height: trimmed.info.height };
  const focus = state.focus && {
    x: Math.min(Math.max(state.focus.x - left, 0), size.width),
    y: Math.min(Math.max(state.focus.y - top, 0), size.height),
  };
  return { ...state, image: stopAfter(trimmed.image, limits), size, focus };
};

interface Rendered {
  image: Sharp;
  info: OutputInfo;
}

/** Runs `image` to raw pixels and opens them again as a new pipeline. */
async function rendered(image: Sharp): Promise<Rendered> {
  try {
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    const raw = { width: info.width, height: info.height, channels: info.channels };
    return { image: sharp(data, { raw }), info };
  } catch (error) {
    // libvips' reason may name the original's file: it stays in the cause, out of the message.
    throw new ImgplaneError('unprocessable_image', 'image could not be decoded for trim', { cause: error });
  }
}
