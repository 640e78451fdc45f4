/**
 * `npm run bench:jpeg`: what the policy's `jpeg_encoder` costs and saves. The same variant (the
 * corpus' 2725x2225 JPEG to w_720 at the policy's JPEG quality, baseline and progressive) is
 * rendered through the real pipeline with `turbo` and with `mozjpeg` (trellis quantisation),
 * alternating so drift on a shared machine hits both alike; it prints bytes and milliseconds.
 *
 *   BENCH_JPEG_ITERATIONS  renders per encoder and mode (default 20)
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseOps, planVariant } from '../core/ops/index.ts';
import { configureSharp, transformImage } from '../core/pipeline/index.ts';
import type { EncoderSettings, TransformLimits } from '../core/pipeline/index.ts';
import { DEFAULT_POLICY, JPEG_ENCODERS, type JpegEncoder } from '../core/policy.ts';
import { CORPUS_DIR } from '../test/support/http.ts';

const IMAGE = path.join(CORPUS_DIR, '2569067123_aca715a2ee_o.jpg');
const ITERATIONS = Number(process.env.BENCH_JPEG_ITERATIONS ?? 20);
const OPS = ['w_720', 'w_720-prog'];

const policy = DEFAULT_POLICY;
const limits: TransformLimits = {
  maxInputPixels: policy.max_input_pixels,
  maxFrames: policy.max_frames,
  timeoutMs: policy.transform_timeout_ms,
  maxOutputPixels: policy.max_output_pixels,
  maxCost: policy.max_transform_cost,
};

interface Sample {
  ms: number;
  bytes: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function main(): Promise<void> {
  configureSharp();
  const input = await readFile(IMAGE);
  console.log(`JPEG encoders: ${path.basename(IMAGE)}, ${ITERATIONS} renders per encoder and mode, quality ${policy.quality_jpeg}`);
  for (const raw of OPS) {
    const plan = planVariant({
      parsed: parseOps(raw),
      presets: {},
      extension: 'jpg',
      accept: undefined,
      policy,
      source: { format: 'jpeg', hasAlpha: false, frames: 1, width: 2725, height: 2225 },
    });
    const samples = new Map<JpegEncoder, Sample[]>(JPEG_ENCODERS.map((encoder) => [encoder, []]));
    for (let round = 0; round < ITERATIONS; round += 1) {
      for (const jpegEncoder of JPEG_ENCODERS) {
        const encoder: EncoderSettings = {
          avifEffort: policy.avif_effort,
          webpEffort: policy.webp_effort,
          pngCompressionLevel: policy.png_compression_level,
          jpegEncoder,
        };
        const started = performance.now();
        const result = await transformImage({ input, ops: plan.ops, encoder, limits });
        samples.get(jpegEncoder)!.push({ ms: performance.now() - started, bytes: result.data.length });
      }
    }
    const [turbo, mozjpeg] = JPEG_ENCODERS.map((encoder) => {
      const runs = samples.get(encoder)!;
      return { ms: median(runs.map((run) => run.ms)), bytes: runs[0]?.bytes ?? 0 };
    }) as [Sample, Sample];
    console.log(`\n${raw}.jpg`);
    console.log(`  turbo    ${String(turbo.bytes).padStart(8)} bytes   median ${turbo.ms.toFixed(1).padStart(7)} ms`);
    console.log(`  mozjpeg  ${String(mozjpeg.bytes).padStart(8)} bytes   median ${mozjpeg.ms.toFixed(1).padStart(7)} ms`);
    console.log(
      `  mozjpeg vs turbo: ${(((mozjpeg.bytes - turbo.bytes) / turbo.bytes) * 100).toFixed(1)}% bytes, ` +
        `${(mozjpeg.ms / turbo.ms).toFixed(2)}x time`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
