import type { TransformOps } from '../../ops/types.ts';
import type { PipelineState, Step } from '../state.ts';

/** libvips interpretations of single-channel (plus optional alpha) images. */
const GREY_SPACES: ReadonlySet<string> = new Set(['b-w', 'grey16']);

/**
 * Delivers 8-bit sRGB (8-bit greyscale for grey sources and `bw`). sharp converts an embedded ICC
 * profile (CMYK, Display P3, ProPhoto) to sRGB on the way in; naming the output space also casts
 * 16-bit input to 8 bits. Decision: no ICC profile is attached to the output. Untagged images are
 * shown as sRGB by browsers, so a profile would only add bytes to every variant. Other metadata
 * (EXIF with GPS and orientation, XMP, IPTC) is never written because we never ask sharp to keep it.
 */
export const colour: Step = (state, { ops }) => {
  state.image.toColourspace(outputSpace(state, ops));
  return state;
};

/** A tint colours even a grey picture, so it needs the colour space. */
export function outputSpace(state: Pick<PipelineState, 'header'>, ops: Pick<TransformOps, 'grayscale' | 'tint'>): 'b-w' | 'srgb' {
  const grey = (ops.grayscale || GREY_SPACES.has(state.header.space)) && ops.tint === null;
  return grey ? 'b-w' : 'srgb';
}
