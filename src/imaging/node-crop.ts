/**
 * The crop a model pack expects around a node. The convention is the manifest's own
 * (`CropConvention` in src/model-pack/node-finder-spec.ts, applied by `cropForNode` in
 * node-geometry.ts); this file holds what applies when a pack declares none, and outline helpers.
 */

import type { RoiRect } from '../domain';
import type { CropConvention } from '../model-pack';

/**
 * A pack that does not declare node crops gets the image area, as before node crops existed: its
 * classifiers were not trained on node-plus-margin crops, so the app does not propose one.
 */
export const DEFAULT_CROP: CropConvention = { kind: 'image-area' };

/** Bounding box of an outline (image pixels, whole pixels that cover it). */
export function outlineBox(outline: ReadonlyArray<readonly [number, number]>): RoiRect {
  const xs = outline.map((p) => p[0]),
    ys = outline.map((p) => p[1]);
  const x0 = Math.floor(Math.min(...xs)),
    y0 = Math.floor(Math.min(...ys));
  return { x: x0, y: y0, width: Math.ceil(Math.max(...xs)) - x0, height: Math.ceil(Math.max(...ys)) - y0 };
}
