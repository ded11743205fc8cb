/**
 * The node finder coarse-to-fine, independent of how the model runs (the worker passes the model;
 * tests pass a stand-in whose answer is known). Coarse: the whole frame, as the finder was first
 * trained. Fine: a square window around the coarse component (`fineWindow`), so a node that got a
 * few model pixels of the frame fills the input; there the component at the click, or at the coarse
 * box's centre, is the answer. The fine answer wins when it is confident, then a
 * confident coarse one; otherwise unsure (null). training/finder/evaluate.py applies the same rule.
 */

import type { NodeFinding } from '../domain';
import type { NodeFinderSpec } from '../model-pack';
import {
  candidateFromLogits,
  findingFromLogits,
  findingInImage,
  finderInput,
  fineWindow,
  type ImagePoint,
} from './node-geometry';
import type { RgbaImage } from './resize';
import { cropRgba } from './roi';

/** Logits (inputSize², row-major) for one input from `finderInput`. */
export type FinderPass = (input: Float32Array) => Promise<Float32Array>;

export async function findNodeCoarseToFine(
  image: RgbaImage,
  spec: NodeFinderSpec,
  pass: FinderPass,
  click?: ImagePoint,
): Promise<NodeFinding | null> {
  const coarse = candidateFromLogits(await pass(finderInput(image, spec, click)), spec, image.width, image.height, click);
  if (!coarse) return null;
  const win = fineWindow(coarse.box, image.width, image.height);
  // A click must fall inside the window: the coarse component may lie up to clickRadius away from it.
  const at = click && win ? { x: click.x - win.x, y: click.y - win.y } : undefined;
  if (win && (!at || (at.x >= 0 && at.y >= 0 && at.x <= win.width && at.y <= win.height))) {
    const crop = cropRgba(image, win);
    // Automatic: the window's component at (or within clickRadius of) the coarse box's centre, not
    // its largest: the fine pass confirms and sharpens what the coarse one saw, it does not pick
    // another structure at the window's edge. (Only the choice: the prompt channel stays empty.)
    const centre = { x: coarse.box.x + coarse.box.width / 2 - win.x, y: coarse.box.y + coarse.box.height / 2 - win.y };
    const fine = findingFromLogits(await pass(finderInput(crop, spec, at)), spec, win.width, win.height, at ?? centre);
    if (fine) return findingInImage(fine, win);
  }
  return coarse.score >= spec.threshold ? coarse : null;
}
