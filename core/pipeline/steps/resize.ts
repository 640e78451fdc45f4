import type { FitEnum, ResizeOptions } from 'sharp';
import type { Fit, TransformOps } from '../../ops/types.ts';
import { DEFAULT_BACKGROUND, FORMATS_WITH_ALPHA, TRANSPARENT, parseBackground } from '../background.ts';
import type { Rgba } from '../background.ts';
import type { PipelineState, Step } from '../state.ts';

/** `pad` is sharp's letterbox like `contain`; they differ only in the bar colour (below). */
const SHARP_FIT: Readonly<Record<Fit, keyof FitEnum>> = {
  cover: 'cover',
  contain: 'contain',
  fill: 'fill',
  inside: 'inside',
  outside: 'outside',
  pad: 'contain',
};

/**
 * Fits the image into `w_`x`h_`. Never enlarges unless `up` was asked. `original` keeps the size.
 * (Letterboxing fits still return exactly w x h around a smaller, unenlarged image.)
 */
export const resize: Step = (state, { ops }) => {
  if (ops.original || (ops.width === null && ops.height === null)) return state;
  if (ops.width !== null && ops.height !== null && ops.fit === 'cover' && state.focus !== undefined) {
    return coverAround(state, state.focus, { width: ops.width, height: ops.height }, ops.upscale);
  }
  const options: ResizeOptions = {
    fit: SHARP_FIT[ops.fit],
    position: position(ops, state.frames),
    background: letterboxBackground(ops),
    withoutEnlargement: !ops.upscale,
  };
  if (ops.width !== null) options.width = ops.width;
  if (ops.height !== null) options.height = ops.height;
  state.image.resize(options);
  return state;
};

/**
 * `fp_` cover crop: scale as sharp's cover would (just enough to cover the box, never enlarging
 * without `up`), then cut the box out centred on the focal point, pushed inwards where it would
 * cross an edge.
 */
function coverAround(state: PipelineState, focus: { x: number; y: number }, box: { width: number; height: number }, upscale: boolean): PipelineState {
  const { width, height } = state.size;
  const cover = Math.max(box.width / width, box.height / height);
  const scale = upscale ? cover : Math.min(cover, 1);
  const scaled = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  const cut = { width: Math.min(box.width, scaled.width), height: Math.min(box.height, scaled.height) };
  const start = (centre: number, length: number, total: number) => Math.min(Math.max(Math.round(centre * scale - length / 2), 0), total - length);
  state.image
    .resize({ ...scaled, fit: 'fill' })
    .extract({ left: start(focus.x, cut.width, scaled.width), top: start(focus.y, cut.height, scaled.height), ...cut });
  return state;
}

/**
 * Compass gravities anchor both the crop (cover) and the image inside a letterbox. The smart
 * strategies exist only for cover crops of still images in libvips; elsewhere they mean centre.
 */
function position(ops: TransformOps, frames: number): string {
  const isStrategy = ops.gravity === 'attention' || ops.gravity === 'entropy';
  if (!isStrategy) return ops.gravity;
  return ops.fit === 'cover' && frames === 1 ? ops.gravity : 'center';
}

/**
 * `contain` letterboxes with transparent bars when the output can hold alpha and no `b_` other than
 * the default was asked (an explicit `b_ffffff`, or `b_ffffffff`, which the grammar normalises to
 * it, is the default and also gives transparent bars: use `f_pad` for opaque white). `pad` always
 * uses the `b_` colour, opaque unless it has an alpha byte. JPEG bars are the `b_` colour either way.
 */
function letterboxBackground(ops: TransformOps): Rgba {
  const transparentBars =
    ops.fit === 'contain' && ops.background === DEFAULT_BACKGROUND && FORMATS_WITH_ALPHA.has(ops.format);
  return transparentBars ? { ...TRANSPARENT } : parseBackground(ops.background);
}
