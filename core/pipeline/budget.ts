/**
 * The work budget of one transform, decided from sizes and ops alone, before any pixel is
 * decoded and before the request queues for a transform slot: the output's pixel count (after
 * `up`, dpr and the fit, every kept frame counted) and an estimate of its cost, in *reference
 * milliseconds*: the time one core of the machine these constants were measured on (2 vCPU,
 * sharp 0.35 / libvips 8.18) spends on it. Expensive operations scale with the pixels they touch:
 * a Gaussian blur with its sigma, sharpen with its sigma, AVIF and WebP with their effort and
 * lossless mode, `png8` with its quantisation, `trim` with the region it renders, colour
 * adjustments with the output. Measured on a 1-3 MP photograph, one libvips thread (bench-like
 * figures of this machine, rounded up): png8 2,350 ms/MP, lossless WebP 235-1,680 by effort,
 * lossless AVIF about 1.8x lossy, trim 126 ms/MP of its region, modulate 70, normalise 94.
 * The estimates are deliberately rough upper-side figures; the kill at the deadline is what
 * bounds a transform whose estimate was too kind.
 */
import { ImgplaneError } from '../errors.ts';
import type { TransformOps } from '../ops/types.ts';
import type { OutputFormat } from '../policy.ts';
import { framesToDecode } from './steps/load.ts';
import type { EncoderSettings } from './types.ts';

export interface BudgetSource {
  /** Displayed size (after EXIF orientation), as stored for the asset. */
  width: number;
  height: number;
  /** Animation frames of the original; 1 for still images. */
  frames: number;
}

export interface TransformBudget {
  /** Most output pixels (width x height x frames kept). */
  maxOutputPixels: number;
  /** Most estimated cost, in reference milliseconds. */
  maxCost: number;
  /** Frames kept in animated output (the policy's max_frames). */
  maxFrames: number;
}

export interface TransformEstimate {
  width: number;
  height: number;
  frames: number;
  outputPixels: number;
  /** Reference milliseconds. */
  cost: number;
  /** The stage that costs the most, named for the client ("blur_50", "avif encoding", ...). */
  dominant: string;
}

const MEGAPIXEL = 1_000_000;
/** Decoding and resampling, per megapixel. */
const DECODE_MS_PER_MP = 10;
const RESAMPLE_MS_PER_MP = 10;
/** Gaussian blur per megapixel and unit of sigma (its kernel grows linearly with sigma). */
const BLUR_MS_PER_MP_PER_SIGMA = 1;
/** Unsharp mask per megapixel: a fixed part plus one per unit of sigma. */
const SHARPEN_MS_PER_MP = 60;
const SHARPEN_MS_PER_MP_PER_SIGMA = 10;
/** Encoding per megapixel; WebP and AVIF indexed by effort (AVIF effort 4 is ten times effort 2). */
const WEBP_MS_PER_MP_BY_EFFORT = [30, 45, 60, 90, 130, 250, 450];
const AVIF_MS_PER_MP_BY_EFFORT = [160, 320, 550, 800, 6000, 9000, 13_000, 20_000, 35_000, 60_000];
const FIXED_ENCODE_MS_PER_MP: Readonly<Record<Exclude<OutputFormat, 'webp' | 'avif'>, number>> = {
  jpeg: 10,
  png: 60,
  gif: 100,
};
/** Lossless WebP by effort; lossless AVIF as a multiple of lossy AVIF at the same effort. */
const WEBP_LOSSLESS_MS_PER_MP_BY_EFFORT = [250, 600, 1050, 1050, 1050, 1400, 1700];
const AVIF_LOSSLESS_FACTOR = 1.8;
/** `png8`: libimagequant's palette search at sharp's default effort, on top of PNG encoding. */
const PALETTE_MS_PER_MP = 2400;
/** `trim` renders its region (the source after `rect_`) to raw pixels and scans it. */
const TRIM_MS_PER_MP = 130;
/** Colour adjustments per output megapixel (bri/sat/hue are one modulate). */
const MODULATE_MS_PER_MP = 70;
const GAMMA_MS_PER_MP = 15;
const CONTRAST_MS_PER_MP = 20;
const NORMALISE_MS_PER_MP = 100;
const TINT_MS_PER_MP = 15;
const GRAYSCALE_MS_PER_MP = 15;

/** Output size and estimated cost of rendering `ops` from `source`. Pure. */
export function estimateTransform(
  source: BudgetSource,
  ops: TransformOps,
  encoder: EncoderSettings,
  maxFrames: number,
): TransformEstimate {
  const { width, height } = outputSize(source, ops);
  const frames = framesToDecode({ frames: source.frames, orientation: undefined }, ops, maxFrames);
  const outputMp = (width * height * frames) / MEGAPIXEL;
  const encoding = encodingCost(ops, encoder);
  const stages: Array<[string, number]> = [
    ['decoding', ((source.width * source.height * frames) / MEGAPIXEL) * DECODE_MS_PER_MP],
    ['resizing', outputMp * RESAMPLE_MS_PER_MP],
    [`${encoding.name} encoding`, outputMp * encoding.msPerMp],
  ];
  if (ops.trim !== null) {
    const region = ops.rect ?? source;
    stages.push(['trim', ((region.width * region.height * frames) / MEGAPIXEL) * TRIM_MS_PER_MP]);
  }
  if (ops.blur !== null) stages.push([`blur_${ops.blur}`, outputMp * BLUR_MS_PER_MP_PER_SIGMA * ops.blur]);
  if (ops.sharpen !== null) {
    stages.push([`sharpen_${ops.sharpen}`, outputMp * (SHARPEN_MS_PER_MP + SHARPEN_MS_PER_MP_PER_SIGMA * ops.sharpen)]);
  }
  const colourMsPerMp = colourAdjustmentMsPerMp(ops);
  if (colourMsPerMp > 0) stages.push(['colour adjustments', outputMp * colourMsPerMp]);
  const [dominant] = stages.reduce((most, stage) => (stage[1] > most[1] ? stage : most));
  const cost = Math.ceil(stages.reduce((sum, [, ms]) => sum + ms, 0));
  return { width, height, frames, outputPixels: width * height * frames, cost, dominant };
}

/** The estimate, or a 400 naming the limit (`max_output_pixels`, `max_transform_cost`) it is over. */
export function assertWithinBudget(
  source: BudgetSource,
  ops: TransformOps,
  encoder: EncoderSettings,
  budget: TransformBudget,
): TransformEstimate {
  const estimate = estimateTransform(source, ops, encoder, budget.maxFrames);
  if (estimate.outputPixels > budget.maxOutputPixels) {
    const framesPart = estimate.frames > 1 ? ` x ${estimate.frames} frames` : '';
    throw new ImgplaneError(
      'invalid_ops',
      `the output would be ${estimate.width}x${estimate.height}${framesPart} = ${estimate.outputPixels} pixels, ` +
        `over this space's max_output_pixels of ${budget.maxOutputPixels}`,
      { detail: { limit: 'max_output_pixels', value: estimate.outputPixels, maximum: budget.maxOutputPixels } },
    );
  }
  if (estimate.cost > budget.maxCost) {
    throw new ImgplaneError(
      'invalid_ops',
      `this transform is estimated at ${estimate.cost} units (mostly ${estimate.dominant} of ` +
        `${estimate.width}x${estimate.height} px), over this space's max_transform_cost of ${budget.maxCost}`,
      { detail: { limit: 'max_transform_cost', value: estimate.cost, maximum: budget.maxCost, dominant: estimate.dominant } },
    );
  }
  return estimate;
}

/**
 * What the pipeline will produce: `rect_` crops first, `r_` may turn the axes, then the resize
 * (steps/resize.ts) and `ext_` borders. Box fits (cover, fill, contain, pad) answer the box
 * itself, an upper bound when the source is smaller and `up` is off; `inside` and `outside` scale
 * the source, `outside` possibly far beyond the box on one axis.
 */
export function outputSize(source: BudgetSource, ops: TransformOps): { width: number; height: number } {
  const resized = resizedSize(ops.rect ?? source, ops);
  if (ops.extend === null) return resized;
  const { top, right, bottom, left } = ops.extend;
  return { width: resized.width + left + right, height: resized.height + top + bottom };
}

function resizedSize(source: { width: number; height: number }, ops: TransformOps): { width: number; height: number } {
  const turned = ops.rotate === 90 || ops.rotate === 270;
  const width = turned ? source.height : source.width;
  const height = turned ? source.width : source.height;
  if (ops.original || (ops.width === null && ops.height === null)) return { width, height };
  const allowed = (scale: number) => (ops.upscale ? scale : Math.min(scale, 1));
  const scaled = (scale: number) => ({
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  });
  if (ops.width !== null && ops.height !== null) {
    if (ops.fit === 'inside') return scaled(allowed(Math.min(ops.width / width, ops.height / height)));
    if (ops.fit === 'outside') return scaled(allowed(Math.max(ops.width / width, ops.height / height)));
    return { width: ops.width, height: ops.height };
  }
  return scaled(allowed(ops.width !== null ? ops.width / width : (ops.height as number) / height));
}

/**
 * How the output is encoded, named as the client asked for it ("webp", "lossless webp", "png8"),
 * and its cost per output megapixel.
 */
function encodingCost(ops: Pick<TransformOps, 'format' | 'lossless' | 'palette'>, encoder: EncoderSettings): { name: string; msPerMp: number } {
  const lossless = ops.lossless ? 'lossless ' : '';
  switch (ops.format) {
    case 'webp':
      return { name: `${lossless}webp`, msPerMp: byEffort(ops.lossless ? WEBP_LOSSLESS_MS_PER_MP_BY_EFFORT : WEBP_MS_PER_MP_BY_EFFORT, encoder.webpEffort) };
    case 'avif':
      return { name: `${lossless}avif`, msPerMp: byEffort(AVIF_MS_PER_MP_BY_EFFORT, encoder.avifEffort) * (ops.lossless ? AVIF_LOSSLESS_FACTOR : 1) };
    case 'png':
      return ops.palette ? { name: 'png8', msPerMp: FIXED_ENCODE_MS_PER_MP.png + PALETTE_MS_PER_MP } : { name: 'png', msPerMp: FIXED_ENCODE_MS_PER_MP.png };
    default:
      return { name: ops.format, msPerMp: FIXED_ENCODE_MS_PER_MP[ops.format] };
  }
}

function colourAdjustmentMsPerMp(ops: TransformOps): number {
  const modulates = ops.brightness !== null || ops.saturation !== null || ops.hue !== null;
  return (
    (modulates ? MODULATE_MS_PER_MP : 0) +
    (ops.gamma !== null ? GAMMA_MS_PER_MP : 0) +
    (ops.contrast !== null ? CONTRAST_MS_PER_MP : 0) +
    (ops.normalise ? NORMALISE_MS_PER_MP : 0) +
    (ops.tint !== null ? TINT_MS_PER_MP : 0) +
    (ops.grayscale ? GRAYSCALE_MS_PER_MP : 0)
  );
}

function byEffort(table: readonly number[], effort: number): number {
  return table[Math.min(Math.max(effort, 0), table.length - 1)] as number;
}
