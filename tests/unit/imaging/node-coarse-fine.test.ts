/**
 * Coarse-to-fine coordinate mapping with answers known in advance: a stand-in finder that calls
 * foreground whatever is brighter than mid-grey (as training/tests/test_node_finder.py does on the
 * Python side), on frames with one bright square.
 */

import { describe, expect, it } from 'vitest';
import {
  candidateFromLogits,
  findingFromLogits,
  findingInImage,
  finderInput,
  findNodeCoarseToFine,
  fineWindow,
  type FinderPass,
} from '../../../src/imaging';
import { finderSpec } from './finder-spec';

const S = 96;
const spec = finderSpec(S, 0.7);

/** Records each input's prompt peak, answers ±`level` by brightness (channel 0 > 0 is brighter than mid-grey). */
function brightIsNode(level = 10): { pass: FinderPass; calls: number } {
  const state = { calls: 0, pass: (async () => new Float32Array()) as FinderPass };
  state.pass = async (input) => {
    state.calls++;
    const out = new Float32Array(S * S);
    for (let i = 0; i < out.length; i++) out[i] = input[i * 2]! > 0 ? level : -level;
    return out;
  };
  return state;
}

function frame(w: number, h: number, sq: { x: number; y: number; side: number }) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = x >= sq.x && x < sq.x + sq.side && y >= sq.y && y < sq.y + sq.side ? 255 : 0;
      data.set([v, v, v, 255], (y * w + x) * 4);
    }
  return { width: w, height: h, data };
}

describe('fine window', () => {
  it('is square, twice the box, centred on it and shifted inside the image (the cases of the Python test)', () => {
    expect(fineWindow({ x: 100, y: 50, width: 40, height: 30 }, 300, 200)).toEqual({ x: 80, y: 25, width: 80, height: 80 });
    expect(fineWindow({ x: 0, y: 0, width: 10, height: 10 }, 300, 200)).toEqual({ x: 0, y: 0, width: 32, height: 32 });
    expect(fineWindow({ x: 280, y: 190, width: 20, height: 10 }, 300, 200)).toEqual({ x: 260, y: 160, width: 40, height: 40 });
    expect(fineWindow({ x: 0, y: 0, width: 290, height: 190 }, 300, 200)).toBeNull();
  });
});

describe('a finding made on a window, in image coordinates', () => {
  it('adds the window offset to the box and every outline point', () => {
    // Window (88, 188) 48 × 48 of the image; the node is cells 32..63 of the 96-cell input = 16..32 px.
    const lg = new Float32Array(S * S);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) lg[y * S + x] = x >= 24 && x < 72 && y >= 24 && y < 72 ? 5 : -5;
    const inWin = findingFromLogits(lg, spec, 48, 48)!;
    expect(inWin.box).toEqual({ x: 12, y: 12, width: 24, height: 24 });
    const f = findingInImage(inWin, { x: 88, y: 188, width: 48, height: 48 });
    expect(f.box).toEqual({ x: 100, y: 200, width: 24, height: 24 });
    expect(f.score).toBe(inWin.score);
    const xs = f.outline.map((p) => p[0]);
    const ys = f.outline.map((p) => p[1]);
    expect([Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]).toEqual([100, 124, 200, 224]);
  });

  it('keeps an unsure component as a candidate for the fine pass', () => {
    const lg = new Float32Array(S * S).fill(-5);
    for (let y = 40; y < 50; y++) for (let x = 40; x < 50; x++) lg[y * S + x] = 0.2; // sigmoid 0.55 < 0.7
    expect(findingFromLogits(lg, spec, 96, 96)).toBeNull();
    expect(candidateFromLogits(lg, spec, 96, 96)!.box).toEqual({ x: 40, y: 40, width: 10, height: 10 });
  });
});

describe('coarse-to-fine', () => {
  it('maps the fine pass back to the exact node box (small node in a large frame)', async () => {
    const img = frame(384, 384, { x: 100, y: 200, side: 24 });
    const finder = brightIsNode();
    const f = (await findNodeCoarseToFine(img, spec, finder.pass))!;
    expect(finder.calls).toBe(2);
    expect(f.box).toEqual({ x: 100, y: 200, width: 24, height: 24 });
    for (const [x, y] of f.outline) {
      expect(x).toBeGreaterThanOrEqual(100);
      expect(x).toBeLessThanOrEqual(124);
      expect(y).toBeGreaterThanOrEqual(200);
      expect(y).toBeLessThanOrEqual(224);
    }
    // With a click on the node: the same answer, the click moved into the window.
    const clicked = (await findNodeCoarseToFine(img, spec, brightIsNode().pass, { x: 110, y: 210 }))!;
    expect(clicked.box).toEqual(f.box);
  });

  it('is sharper than the single pass on a frame whose node spans fractions of a cell', async () => {
    // 640 × 480: a coarse cell is 6.67 × 5 px, so the coarse box is rounded outwards by up to a cell;
    // the fine window (about 70 px) has cells under 1 px.
    const img = frame(640, 480, { x: 301, y: 203, side: 30 });
    const truth = { x: 301, y: 203, width: 30, height: 30 };
    const err = (b: typeof truth) =>
      [b.x - truth.x, b.y - truth.y, b.x + b.width - 331, b.y + b.height - 233].map((d) => Math.abs(d));
    const coarse = findingFromLogits(await brightIsNode().pass(finderInput(img, spec)), spec, 640, 480)!;
    const f = (await findNodeCoarseToFine(img, spec, brightIsNode().pass))!;
    expect(Math.max(...err(f.box))).toBeLessThanOrEqual(1);
    expect(Math.max(...err(coarse.box))).toBeGreaterThan(1);
  });

  it('skips the fine pass for a node that fills the frame, and is unsure when neither pass is confident', async () => {
    const big = frame(100, 100, { x: 10, y: 10, side: 80 });
    const finder = brightIsNode();
    expect((await findNodeCoarseToFine(big, spec, finder.pass))!.box).toEqual({ x: 10, y: 10, width: 80, height: 80 });
    expect(finder.calls).toBe(1);
    const unsure = brightIsNode(0.3); // sigmoid(0.3) ≈ 0.57 < 0.7 in both passes
    expect(await findNodeCoarseToFine(frame(384, 384, { x: 100, y: 200, side: 24 }), spec, unsure.pass)).toBeNull();
    expect(unsure.calls).toBe(2);
    expect(await findNodeCoarseToFine(frame(64, 64, { x: 0, y: 0, side: 0 }), spec, brightIsNode().pass)).toBeNull();
  });
});
