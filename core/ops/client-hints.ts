/**
 * Client hints for URLs that opt in with `ch`: `Sec-CH-DPR` scales `w_`/`h_` like `dpr_`,
 * `Sec-CH-Width` is the width of `w_auto`, `Save-Data: on` lowers the policy's quality. A hint is
 * a request header, not part of the URL, so a response that read one must name it in `Vary`; the
 * rule here is "consulted", not "present": a cached answer to a request without the hint must not
 * serve one with it. Hints are advice: an unreadable value is ignored, never a 400.
 */
import { invalidOps } from './grammar.ts';
import type { ParsedOps } from './types.ts';

/** The raw header values as the request carried them. */
export interface ClientHints {
  dpr?: string | undefined;
  width?: string | undefined;
  saveData?: string | undefined;
}

export const HINT_HEADERS = { dpr: 'Sec-CH-DPR', width: 'Sec-CH-Width', saveData: 'Save-Data' } as const;

/** Sent on every response of a `ch` URL so that browsers send the hints on later requests. */
export const ACCEPT_CH = `${HINT_HEADERS.dpr}, ${HINT_HEADERS.width}`;

/** Save-Data lowers a policy quality to this share of itself (80 becomes 60). */
export const SAVE_DATA_QUALITY_FACTOR = 0.75;

export interface HintsInEffect {
  /** Device pixel ratio to apply (1-4, two decimals), when the URL has no `dpr_`. */
  dpr: number | undefined;
  /** Width in device pixels for `w_auto`. */
  width: number | undefined;
  /** The request header names the answer depends on, for `Vary`. */
  consulted: string[];
  /** Whether Save-Data asked for less data (applied to the quality once the format is known). */
  saveData: boolean;
}

const NONE: HintsInEffect = Object.freeze({ dpr: undefined, width: undefined, consulted: [], saveData: false }) as HintsInEffect;

const NUMBER_HINT = /^[0-9]{1,5}(?:\.[0-9]{1,6})?$/;
const INTEGER_HINT = /^[1-9][0-9]{0,5}$/;

/**
 * The hints that decide this variant. `saveDataApplies` says whether Save-Data could change it (a
 * format with a quality, no explicit `q_` number, not lossless), known once the format is chosen.
 */
export function hintsInEffect(wanted: ParsedOps, hints: ClientHints | undefined, saveDataApplies: boolean): HintsInEffect {
  if (wanted.clientHints !== true) {
    if (wanted.width === 'auto') {
      throw invalidOps('"w_auto" takes its width from the Sec-CH-Width client hint: add the ch operation', { token: 'w_auto' });
    }
    return NONE;
  }
  const consulted: string[] = [];
  let width: number | undefined;
  if (wanted.width === 'auto') {
    consulted.push(HINT_HEADERS.width);
    width = readWidth(hints?.width);
  }
  let dpr: number | undefined;
  const scalable = typeof wanted.width === 'number' || wanted.height !== undefined;
  if (wanted.dpr === undefined && scalable) {
    consulted.push(HINT_HEADERS.dpr);
    dpr = readDpr(hints?.dpr);
  }
  let saveData = false;
  if (saveDataApplies) {
    consulted.push(HINT_HEADERS.saveData);
    saveData = hints?.saveData?.trim().toLowerCase() === 'on';
  }
  return { dpr, width, consulted, saveData };
}

/** Sec-CH-DPR is a structured-field decimal; dprs outside the grammar's 1-4 are clamped into it. */
function readDpr(text: string | undefined): number | undefined {
  const trimmed = text?.trim() ?? '';
  if (!NUMBER_HINT.test(trimmed)) return undefined;
  const rounded = Math.round(Number(trimmed) * 100) / 100;
  return Math.min(4, Math.max(1, rounded));
}

/** Sec-CH-Width is a structured-field integer, in device pixels. */
function readWidth(text: string | undefined): number | undefined {
  const trimmed = text?.trim() ?? '';
  return INTEGER_HINT.test(trimmed) ? Number(trimmed) : undefined;
}
