import type { Sharp } from 'sharp';
import type { TransformOps } from '../ops/types.ts';
import type { ImageHeader } from './header.ts';
import type { EncoderSettings, TransformLimits } from './types.ts';

/**
 * What each pipeline step receives and returns. `image` is sharp's lazily evaluated pipeline:
 * steps only configure it, and libvips does the pixel work when `encode` asks for the bytes.
 */
export interface PipelineState {
  image: Sharp;
  header: ImageHeader;
  /** Frames being decoded: more than 1 only when the output keeps an animation. */
  frames: number;
  /**
   * Size of one frame as the steps so far leave it, in the frame of the output: auto-oriented
   * from `load`, then after `rect_`, `flip`/`flop`, `r_` (set by `crop`) and `trim`. Resizing
   * starts from it.
   */
  size: { width: number; height: number };
  /** The `fp_` focal point in pixels of `size`, when a cover crop uses it. */
  focus: { x: number; y: number } | undefined;
}

export interface StepOptions {
  ops: TransformOps;
  encoder: EncoderSettings;
  limits: TransformLimits;
}

/** Most steps only configure `image`; one that must see pixels (`trim`) returns a promise. */
export type Step = (state: PipelineState, options: StepOptions) => PipelineState | Promise<PipelineState>;
