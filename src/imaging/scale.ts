/**
 * The physical scale of an image (millimetres per pixel) and where it comes from: the DICOM file
 * (Pixel Spacing, or the Sequence of Ultrasound Regions with its per-region deltas), or the user,
 * who clicks two ticks of the scanner's depth ruler and types the distance between them.
 */

import type { PixelSpacing } from './axes';
import type { Rect } from './roi';

export type ScaleSource = 'dicom-pixel-spacing' | 'dicom-region' | 'user';

export interface ImageScale {
  spacing: PixelSpacing;
  source: ScaleSource;
}

export type ScaleProblem = 'scale-zero' | 'scale-absurd' | 'scale-points-close' | 'regions-disagree';

/** Plausible pixel sizes of a clinical ultrasound frame: 5 µm (a 2048-px frame of 1 cm) to 2 mm. */
const MIN_MM_PER_PX = 0.005;
const MAX_MM_PER_PX = 2;
/** Distances a user types between ruler ticks: more than 0, at most 30 cm. */
const MAX_RULER_MM = 300;

/**
 * A scale from two clicked points `distMm` apart (square pixels assumed, as the ruler gives one
 * direction). Zero, negative, non-numeric or implausible values are refused with the reason.
 */
export function userScale(
  a: { x: number; y: number },
  b: { x: number; y: number },
  distMm: number,
): { ok: true; scale: ImageScale } | { ok: false; problem: ScaleProblem } {
  const px = Math.hypot(b.x - a.x, b.y - a.y);
  if (!Number.isFinite(distMm) || distMm <= 0) return { ok: false, problem: 'scale-zero' };
  if (px < 5) return { ok: false, problem: 'scale-points-close' };
  const mm = distMm / px;
  if (distMm > MAX_RULER_MM || mm < MIN_MM_PER_PX || mm > MAX_MM_PER_PX) return { ok: false, problem: 'scale-absurd' };
  return { ok: true, scale: { spacing: { x: mm, y: mm }, source: 'user' } };
}

const contains = (r: Rect, b: Rect) =>
  b.x >= r.x && b.y >= r.y && b.x + b.width <= r.x + r.width && b.y + b.height <= r.y + r.height;
const same = (a: PixelSpacing, b: PixelSpacing) => Math.abs(a.x - b.x) <= 0.01 * a.x && Math.abs(a.y - b.y) <= 0.01 * a.y;

/**
 * The scale a DICOM file gives for a measurement inside `box`: the ultrasound region that holds it
 * (regions may differ, e.g. a dual view at two depths); Pixel Spacing when there are no regions.
 * When the regions that could apply disagree, no scale is guessed.
 */
export function dicomScale(
  box: Rect | null,
  regions: { rect: Rect; x: number; y: number }[],
  pixelSpacing: PixelSpacing | null,
  spacingFrom: 'PixelSpacing' | 'UltrasoundRegion' | undefined,
): { scale: ImageScale | null; problem: ScaleProblem | null } {
  if (regions.length) {
    const holding = box ? regions.filter((r) => contains(r.rect, box)) : [];
    const candidates = holding.length ? holding : regions;
    const first = candidates[0]!;
    if (candidates.some((r) => !same(r, first))) return { scale: null, problem: 'regions-disagree' };
    return { scale: { spacing: { x: first.x, y: first.y }, source: 'dicom-region' }, problem: null };
  }
  if (pixelSpacing && pixelSpacing.x > 0 && pixelSpacing.y > 0)
    return {
      scale: { spacing: pixelSpacing, source: spacingFrom === 'UltrasoundRegion' ? 'dicom-region' : 'dicom-pixel-spacing' },
      problem: null,
    };
  return { scale: null, problem: null };
}

/**
 * "This scanner layout": frames of one scanner preset share their size and where their picture
 * lies, so a ruler calibration is offered again for them and not for others. The size is the
 * storage key; the picture areas are compared with a few pixels' tolerance (two frames of one
 * layout may differ by a pixel or two in the area found).
 */
export function layoutKey(width: number, height: number): string {
  return `${width}x${height}`;
}

export function sameLayoutArea(a: Rect | null, b: Rect | null): boolean {
  if (!a || !b) return a === b;
  const tol = 6;
  return (
    Math.abs(a.x - b.x) <= tol &&
    Math.abs(a.y - b.y) <= tol &&
    Math.abs(a.width - b.width) <= tol &&
    Math.abs(a.height - b.height) <= tol
  );
}
