import { describe, expect, it } from 'vitest';
import {
  axesFromOutline,
  cropForNode,
  DEFAULT_CROP,
  dicomScale,
  layoutKey,
  measureAxes,
  sameLayoutArea,
  userScale,
} from '../../../src/imaging';

describe('physical scale', () => {
  it('turns two ruler ticks and a distance into mm per pixel, refusing zero, absurd and too-close input', () => {
    const r = userScale({ x: 10, y: 100 }, { x: 10, y: 300 }, 20);
    expect(r).toEqual({ ok: true, scale: { spacing: { x: 0.1, y: 0.1 }, source: 'user' } });
    expect(userScale({ x: 10, y: 100 }, { x: 10, y: 300 }, 0)).toEqual({ ok: false, problem: 'scale-zero' });
    expect(userScale({ x: 10, y: 100 }, { x: 10, y: 300 }, Number.NaN)).toEqual({ ok: false, problem: 'scale-zero' });
    expect(userScale({ x: 10, y: 100 }, { x: 10, y: 300 }, 5000)).toEqual({ ok: false, problem: 'scale-absurd' });
    expect(userScale({ x: 10, y: 100 }, { x: 10, y: 300 }, 0.5)).toEqual({ ok: false, problem: 'scale-absurd' });
    expect(userScale({ x: 10, y: 100 }, { x: 11, y: 101 }, 10)).toEqual({ ok: false, problem: 'scale-points-close' });
  });

  it('uses the DICOM region that holds the node, and refuses to guess when regions disagree', () => {
    const regions = [
      { rect: { x: 0, y: 0, width: 300, height: 400 }, x: 0.1, y: 0.1 },
      { rect: { x: 300, y: 0, width: 300, height: 400 }, x: 0.2, y: 0.2 },
    ];
    expect(dicomScale({ x: 350, y: 50, width: 40, height: 40 }, regions, null, 'UltrasoundRegion')).toEqual({
      scale: { spacing: { x: 0.2, y: 0.2 }, source: 'dicom-region' },
      problem: null,
    });
    expect(dicomScale({ x: 280, y: 50, width: 40, height: 40 }, regions, null, 'UltrasoundRegion')).toEqual({
      scale: null,
      problem: 'regions-disagree',
    });
    expect(dicomScale(null, [], { x: 0.07, y: 0.08 }, 'PixelSpacing').scale).toEqual({
      spacing: { x: 0.07, y: 0.08 },
      source: 'dicom-pixel-spacing',
    });
    expect(dicomScale(null, [], null, undefined)).toEqual({ scale: null, problem: null });
  });

  it('recognises a scanner layout by image size and picture area, within a few pixels', () => {
    expect(layoutKey(640, 480)).toBe('640x480');
    expect(sameLayoutArea({ x: 121, y: 71, width: 399, height: 361 }, { x: 120, y: 72, width: 400, height: 360 })).toBe(true);
    expect(sameLayoutArea({ x: 60, y: 72, width: 400, height: 360 }, { x: 120, y: 72, width: 400, height: 360 })).toBe(false);
    expect(sameLayoutArea(null, null)).toBe(true);
    expect(sameLayoutArea(null, { x: 0, y: 0, width: 1, height: 1 })).toBe(false);
  });
});

describe('axes and crop geometry', () => {
  it('long axis = longest diameter, short = longest perpendicular chord, on a rotated ellipse; mm with anisotropic pixels', () => {
    const poly: [number, number][] = [];
    const t = Math.PI / 6;
    for (let k = 0; k < 360; k++) {
      const a = (k * Math.PI) / 180;
      const x = 40 * Math.cos(a),
        y = 15 * Math.sin(a);
      poly.push([200 + x * Math.cos(t) - y * Math.sin(t), 150 + x * Math.sin(t) + y * Math.cos(t)]);
    }
    const ax = axesFromOutline(poly)!;
    expect(ax.longPx).toBeCloseTo(80, 0);
    expect(ax.shortPx).toBeCloseTo(30, 0);
    expect(ax.ratio).toBeCloseTo(0.375, 2);
    const sq = axesFromOutline(
      [
        [0, 0],
        [100, 0],
        [100, 20],
        [0, 20],
      ],
      { x: 0.1, y: 0.3 },
    )!;
    expect(sq.longMm).toBeCloseTo(Math.hypot(10, 6), 3);
    const m = measureAxes(
      [
        [0, 0],
        [30, 40],
      ],
      [
        [0, 0],
        [0, 10],
      ],
      { x: 0.1, y: 0.1 },
    );
    expect(m).toMatchObject({ longPx: 50, shortPx: 10, longMm: 5, shortMm: 1, ratio: 0.2 });
  });

  it("crops around a node with the pack's margin, clamped to the image area", () => {
    const crop = { kind: 'node-box-margin', margin: 0.25 } as const;
    const image = { x: 0, y: 0, width: 640, height: 480 };
    expect(cropForNode({ x: 100, y: 100, width: 40, height: 20 }, crop, image)).toEqual({ x: 90, y: 90, width: 60, height: 40 });
    expect(
      cropForNode({ x: 0, y: 0, width: 40, height: 40 }, { ...crop, margin: 0.5 }, { x: 0, y: 0, width: 50, height: 50 }),
    ).toEqual({
      x: 0,
      y: 0,
      width: 50,
      height: 50,
    });
  });

  it('gives a pack that declares no node crop the image area', () => {
    const area = { x: 12, y: 30, width: 400, height: 360 };
    expect(DEFAULT_CROP).toEqual({ kind: 'image-area' });
    expect(cropForNode({ x: 100, y: 100, width: 40, height: 20 }, DEFAULT_CROP, area)).toEqual(area);
  });
});
