import { createHash } from 'node:crypto';
import type { OutputFormat } from '../policy.ts';

/**
 * The identity of one rendered variant: same canonical ops on the same original bytes in the same
 * format is the same variant, whichever URL spelling asked for it. Newline-separated so no field
 * can run into the next (a content hash never contains '\n').
 */
export function variantKey(canonical: string, contentHash: string, format: OutputFormat): string {
  return createHash('sha256').update(`${canonical}\n${contentHash}\n${format}`).digest('hex');
}
