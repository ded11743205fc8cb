import { describe, expect, it } from 'vitest';
import {
  cropForNode,
  finderInput,
  findingFromLogits,
  labelComponents,
  simplifyClosed,
  traceOutline,
} from '../../../src/imaging/node-geometry';
import { finderSpec } from './finder-spec';

const S = 32;
const spec = finderSpec(S, 0.6);

/** Logits: `inside` where the predicate holds, −4 elsewhere. */
function logits(pred: (x: number, y: number) => boolean, inside = 4): Float32Array {
  const out = new Float32Array(S * S);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) out[y * S + x] = pred(x, y) ? inside : -4;
  return out;
}

function shoelace(pts: ReadonlyArray<readonly [number, number]>): number {
  let a = 0;
  for (let i = 0; i < pts.length; i++) {
    const [x0, y0] = pts[i]!;
    const [x1, y1] = pts[(i + 1) % pts.length]!;
    a += x0 * y1 - x1 * y0;
  }
  return a / 2;
}

/** Even-odd point-in-polygon test. */
function inside(pts: ReadonlyArray<readonly [number, number]>, x: number, y: number): boolean {
  let c = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i]!;
    const [xj, yj] = pts[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('node outline tracing', () => {
  it('encloses exactly the pixels of a component (area = pixel count, every pixel centre inside)', () => {
    const rand = seeded(7);
    for (let trial = 0; trial < 30; trial++) {
      // A random blob: union of discs, plus diagonal-only neighbours (8-connected pinches).
      const discs = Array.from({ length: 3 }, () => [4 + rand() * 24, 4 + rand() * 24, 2 + rand() * 5] as const);
      const fg = new Uint8Array(S * S);
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++)
          fg[y * S + x] = discs.some(([cx, cy, r]) => (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) ? 1 : 0;
      const { labels, areas } = labelComponents(fg, S);
      for (let id = 1; id < areas.length; id++) {
        const pts = traceOutline(labels, S, id);
        // Holes are not traced (outer boundary only): compare with the filled component.
        let filled = 0;
        for (let y = 0; y < S; y++)
          for (let x = 0; x < S; x++) {
            const isIn = inside(pts, x + 0.5, y + 0.5);
            if (labels[y * S + x] === id) expect(isIn).toBe(true);
            filled += isIn ? 1 : 0;
          }
        expect(Math.abs(shoelace(pts))).toBe(filled);
      }
    }
  });

  it('gives one outline for diagonal neighbours (8-connectivity) and 4 corners for a rectangle', () => {
    const fg = new Uint8Array(S * S);
    fg[5 * S + 5] = 1;
    fg[6 * S + 6] = 1;
    const { labels, areas } = labelComponents(fg, S);
    expect(areas).toEqual([0, 2]);
    expect(Math.abs(shoelace(traceOutline(labels, S, 1)))).toBe(2);
    const rect = new Uint8Array(S * S);
    for (let y = 3; y < 9; y++) for (let x = 10; x < 20; x++) rect[y * S + x] = 1;
    const r = labelComponents(rect, S);
    expect(simplifyClosed(traceOutline(r.labels, S, 1), 0.5)).toEqual([
      [10, 3],
      [20, 3],
      [20, 9],
      [10, 9],
    ]);
  });
});

describe('finding from logits', () => {
  const disc = (cx: number, cy: number, r: number) => (x: number, y: number) =>
    (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r;

  it('proposes the largest component, its box in image pixels and an outline around it', () => {
    const lg = logits((x, y) => disc(10, 10, 5)(x, y) || disc(25, 25, 2)(x, y));
    const f = findingFromLogits(lg, spec, 320, 160)!;
    // Disc of radius 5 at (10, 10): cells 5..14 in both axes → ×10 horizontally, ×5 vertically.
    expect(f.box).toEqual({ x: 50, y: 25, width: 100, height: 50 });
    expect(f.score).toBeCloseTo(1 / (1 + Math.exp(-4)), 6);
    for (const [x, y] of f.outline) {
      expect(x).toBeGreaterThanOrEqual(50);
      expect(x).toBeLessThanOrEqual(150);
      expect(y).toBeGreaterThanOrEqual(25);
      expect(y).toBeLessThanOrEqual(75);
    }
    expect(inside(f.outline, 100, 50)).toBe(true);
  });

  it('outlines the node under the click, the nearest within the click radius, none beyond it', () => {
    const lg = logits((x, y) => disc(8, 8, 4)(x, y) || disc(24, 24, 3)(x, y));
    const small = findingFromLogits(lg, spec, 32, 32, { x: 24, y: 24 })!;
    expect(small.box).toEqual({ x: 21, y: 21, width: 6, height: 6 });
    // 2 px right of the small disc's edge (radius 0.1 × 32 = 3.2 px): still that one.
    expect(findingFromLogits(lg, spec, 32, 32, { x: 29, y: 24.5 })!.box).toEqual(small.box);
    expect(findingFromLogits(lg, spec, 32, 32, { x: 2, y: 30 })).toBeNull();
  });

  it('is unsure below the confidence threshold and for specks below minArea', () => {
    expect(findingFromLogits(logits(disc(16, 16, 6), 0.2), spec, 32, 32)).toBeNull(); // sigmoid(0.2) ≈ 0.55 < 0.6
    expect(
      findingFromLogits(
        logits((x, y) => x === 3 && y === 3),
        spec,
        32,
        32,
      ),
    ).toBeNull();
    expect(
      findingFromLogits(
        logits(() => false),
        spec,
        32,
        32,
      ),
    ).toBeNull();
    expect(() => findingFromLogits(new Float32Array(10), spec, 32, 32)).toThrow(/expected 1024 logits/);
  });
});

describe('finder input', () => {
  it('normalises luma and puts the prompt peak at the click', () => {
    const w = 64;
    const h = 48;
    const data = new Uint8ClampedArray(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([200, 100, 50, 255], i * 4);
    const x = finderInput({ width: w, height: h, data }, spec, { x: 40, y: 12 });
    const luma = 200 * 0.299 + 100 * 0.587 + 50 * 0.114;
    expect(x[0]).toBeCloseTo((luma / 255 - 0.5) / 0.25, 5);
    // Click (40, 12) in a 64×48 image → (20, 8) in the 32×32 input: the peak is cell (19 or 20, 7 or 8).
    let best = 0;
    for (let i = 1; i < S * S; i++) if (x[i * 2 + 1]! > x[best * 2 + 1]!) best = i;
    expect([19, 20]).toContain(best % S);
    expect([7, 8]).toContain(Math.floor(best / S));
    expect(
      finderInput({ width: w, height: h, data }, spec)
        .filter((_, i) => i % 2 === 1)
        .every((v) => v === 0),
    ).toBe(true);
  });
});

describe('crop for a node', () => {
  it('grows the box by margin × its longer side and keeps it in the area', () => {
    const box = { x: 100, y: 100, width: 40, height: 20 };
    const area = { x: 0, y: 0, width: 400, height: 300 };
    expect(cropForNode(box, { kind: 'node-box-margin', margin: 0.25 }, area)).toEqual({ x: 90, y: 90, width: 60, height: 40 });
    expect(cropForNode({ x: 5, y: 5, width: 40, height: 40 }, { kind: 'node-box-margin', margin: 0.5 }, area)).toEqual({
      x: 0,
      y: 0,
      width: 65,
      height: 65,
    });
    expect(cropForNode(box, { kind: 'image-area' }, { x: 10, y: 20, width: 300, height: 200 })).toEqual({
      x: 10,
      y: 20,
      width: 300,
      height: 200,
    });
  });
});
