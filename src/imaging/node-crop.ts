/**
 * The crop a model pack expects around a node. Packs trained on node-plus-margin crops declare a
 * margin (a share of the node box's longer side added on every side); others want the image area.
 * Until a pack declares its convention, DEFAULT_CROP applies: the sonographer-style margin the
 * simulated training cases use (12–35 % of the node's size, src/phantoms/params.ts).
 */

import type { RoiRect } from '../domain';
import { clampRect, type Rect } from './roi';

export type CropConvention = { kind: 'node-box'; margin: number } | { kind: 'image-area' };

export const DEFAULT_CROP: CropConvention = { kind: 'node-box', margin: 0.25 };

/** The node's box grown by the margin on every side, clamped to the image; whole pixels. */
export function cropAroundNode(box: RoiRect, margin: number, imageWidth: number, imageHeight: number): Rect {
  const m = Math.max(0, margin) * Math.max(box.width, box.height);
  const x0 = Math.max(0, Math.floor(box.x - m)),
    y0 = Math.max(0, Math.floor(box.y - m));
  const x1 = Math.min(imageWidth, Math.ceil(box.x + box.width + m)),
    y1 = Math.min(imageHeight, Math.ceil(box.y + box.height + m));
  return clampRect({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, imageWidth, imageHeight);
}

/** Bounding box of an outline (image pixels, whole pixels that cover it). */
export function outlineBox(outline: ReadonlyArray<readonly [number, number]>): RoiRect {
  const xs = outline.map((p) => p[0]),
    ys = outline.map((p) => p[1]);
  const x0 = Math.floor(Math.min(...xs)),
    y0 = Math.floor(Math.min(...ys));
  return { x: x0, y: y0, width: Math.ceil(Math.max(...xs)) - x0, height: Math.ceil(Math.max(...ys)) - y0 };
}
