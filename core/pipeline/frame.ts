/**
 * Where `rect_` and `fp_` land after `flip`, `flop` and `r_`. Both are given in the auto-oriented
 * original; libvips mirrors first (flip, then flop) and rotates after, and it extracts a
 * pre-resize rectangle either before those (when no `r_` is asked) or after them (when one is):
 * sharp moves its rotation ahead of an extract whenever a rotation angle is set. Pure geometry,
 * so it is tested on its own; the pixel tests in steps.test.ts pin sharp's side of it.
 */
import type { PixelRect, TransformOps } from '../ops/types.ts';

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface OutputFrame {
  /** The rectangle to hand sharp's pre-resize extract, in the frame sharp extracts in. */
  extract: PixelRect | undefined;
  /** The picture's size after the crop and the turns (what resizing receives). */
  size: Size;
  /** The focal point in pixels of `size`. */
  focus: Point | undefined;
}

type Geometry = Pick<TransformOps, 'rect' | 'flip' | 'flop' | 'rotate'>;

export function outputFrame(oriented: Size, ops: Geometry, focus: Point | undefined): OutputFrame {
  const rect = ops.rect === null ? undefined : withinImage(ops.rect, oriented);
  const cropped: Size = rect === undefined ? oriented : { width: rect.width, height: rect.height };
  const turns = ops.rotate === 90 || ops.rotate === 270;
  return {
    extract: rect === undefined || ops.rotate === 0 ? rect : turnRect(rect, oriented, ops),
    size: turns ? { width: cropped.height, height: cropped.width } : cropped,
    focus: focus === undefined ? undefined : turnPoint(clampInto(focus, rect, cropped), cropped, ops),
  };
}

/**
 * Planning checked the rectangle against the catalog's size; the header is the truth, and a
 * rectangle it disagrees with is cut to the image rather than handed to libvips to fail.
 */
function withinImage(rect: PixelRect, size: Size): PixelRect {
  const left = Math.min(rect.left, size.width - 1);
  const top = Math.min(rect.top, size.height - 1);
  return { left, top, width: Math.min(rect.width, size.width - left), height: Math.min(rect.height, size.height - top) };
}

/** The focal point relative to the crop, kept inside it. */
function clampInto(point: Point, rect: PixelRect | undefined, size: Size): Point {
  const x = point.x - (rect?.left ?? 0);
  const y = point.y - (rect?.top ?? 0);
  return { x: Math.min(Math.max(x, 0), size.width), y: Math.min(Math.max(y, 0), size.height) };
}

/** A point of a `size` picture after flip, flop and the clockwise turn, in sharp's order. */
function turnPoint(point: Point, size: Size, ops: Geometry): Point {
  let { x, y } = point;
  if (ops.flip) y = size.height - y;
  if (ops.flop) x = size.width - x;
  switch (ops.rotate) {
    case 90:
      return { x: size.height - y, y: x };
    case 180:
      return { x: size.width - x, y: size.height - y };
    case 270:
      return { x: y, y: size.width - x };
    default:
      return { x, y };
  }
}

/** A rectangle of a `size` picture after flip, flop and the turn: its corners, turned. */
function turnRect(rect: PixelRect, size: Size, ops: Geometry): PixelRect {
  const a = turnPoint({ x: rect.left, y: rect.top }, size, ops);
  const b = turnPoint({ x: rect.left + rect.width, y: rect.top + rect.height }, size, ops);
  return {
    left: Math.min(a.x, b.x),
    top: Math.min(a.y, b.y),
    width: Math.abs(a.x - b.x),
    height: Math.abs(a.y - b.y),
  };
}
