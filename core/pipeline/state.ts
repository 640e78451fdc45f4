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
}

export interface StepOptions {
  ops: TransformOps;
  encoder: EncoderSettings;
  limits: TransformLimits;
}

export type Step = (state: PipelineState, options: StepOptions) => PipelineState;
