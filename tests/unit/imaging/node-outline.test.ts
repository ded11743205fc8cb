/**
 * Image area, seeded outline and axes on real pixels: committed phantom fixtures (sector + JPEG,
 * dim + JPEG; tests/fixtures/roi, made by scripts/make-roi-fixtures.ts), freshly simulated cases,
 * and, when ../shared/data is present, a sample of BUSI and DDTI (skipped cleanly otherwise).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { axesFromOutline, outlineFromSeed, proposeRoi, traceBoundary, type RgbaImage } from '../../../src/imaging';
import { BMODE_FIELD_ORIGIN, FIELD_HEIGHT, FIELD_WIDTH, generateCase } from '../../../src/phantoms';
import { busi, dataAvailable, ddti } from '../../../bench/roi/data';
import { fillPolygon, seedOf } from '../../../bench/roi/outline-eval';
import { areaCorrect, makeVariant, VARIANT_KINDS } from '../../../bench/roi/variants';

const FIX = join(import.meta.dirname, '../../fixtures/roi');
const FIELD = { x: BMODE_FIELD_ORIGIN.x, y: BMODE_FIELD_ORIGIN.y, width: FIELD_WIDTH, height: FIELD_HEIGHT };

function fixture(name: string): {
  img: RgbaImage;
  meta: { field: typeof FIELD; nodeCentroid: { x: number; y: number }; nodeAxesPx: { long: number; short: number } };
} {
  const d = jpeg.decode(readFileSync(join(FIX, `${name}.jpg`)), { useTArray: true, formatAsRGBA: true });
  return {
    img: { width: d.width, height: d.height, data: new Uint8ClampedArray(d.data) },
    meta: JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as never,
  };
}

function dice(w: number, h: number, mask: Uint8Array, outline: ReadonlyArray<readonly [number, number]>): number {
  const pred = fillPolygon(w, h, outline);
  let i = 0,
    a = 0,
    b = 0;
  for (let k = 0; k < mask.length; k++) {
    i += mask[k]! & pred[k]!;
    a += mask[k]!;
    b += pred[k]!;
  }
  return (2 * i) / (a + b);
}

const within = (got: number, want: number, frac: number) => Math.abs(got - want) <= frac * want;

describe('image area on committed phantom fixtures', () => {
  for (const name of ['phantom-sector-q55', 'phantom-dim-q45']) {
    it(`${name}: the picture, all of it and nothing else`, () => {
      const { img, meta } = fixture(name);
      const p = proposeRoi(img, 'bmode');
      expect(p.source).toBe('image-area');
      const tol = 0.03 * meta.field.width;
      expect(Math.abs(p.rect.x - meta.field.x)).toBeLessThanOrEqual(tol);
      expect(Math.abs(p.rect.y - meta.field.y)).toBeLessThanOrEqual(tol);
      expect(Math.abs(p.rect.x + p.rect.width - meta.field.x - meta.field.width)).toBeLessThanOrEqual(tol);
      // The sector's lower corners are black: its box may stop short of the field's last rows, not of its arc.
      expect(Math.abs(p.rect.y + p.rect.height - meta.field.y - meta.field.height)).toBeLessThanOrEqual(tol);
    });
  }

  it('never proposes a strip: a thin bright band on black gives the whole image, with the reason', () => {
    const img: RgbaImage = { width: 400, height: 450, data: new Uint8ClampedArray(400 * 450 * 4) };
    for (let y = 0; y < 450; y++)
      for (let x = 0; x < 400; x++) {
        const v = y < 70 ? 90 + ((x * 7 + y * 13) % 60) : 0;
        img.data.set([v, v, v, 255], (y * 400 + x) * 4);
      }
    const p = proposeRoi(img, 'bmode');
    expect(p).toMatchObject({ source: 'whole', reason: 'weak', rect: { x: 0, y: 0, width: 400, height: 450 } });
  });
});

describe('seeded outline and axes', () => {
  it('outlines the node of the dim JPEG fixture from its centre, axes within 10 %', () => {
    const { img, meta } = fixture('phantom-dim-q45');
    const t0 = performance.now();
    const r = outlineFromSeed(img, meta.nodeCentroid, meta.field);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const a = axesFromOutline(r.finding.outline)!;
    expect(within(a.longPx, meta.nodeAxesPx.long, 0.1)).toBe(true);
    expect(within(a.shortPx, meta.nodeAxesPx.short, 0.1)).toBe(true);
  });

  it('outlines simulated nodes (Dice ≥ 0.85 on most) and refuses a click in plain tissue or outside', () => {
    const dices: number[] = [];
    for (const seed of [202, 203, 204, 205, 206, 208]) {
      const c = generateCase({ seed, cls: seed % 2 ? 'benign' : 'metastatic' });
      const r = outlineFromSeed(c.images.bmode, seedOf(c.maskWidth, c.masks.node), FIELD);
      dices.push(r.ok ? dice(c.maskWidth, c.maskHeight, c.masks.node, r.finding.outline) : 0);
    }
    expect(dices.filter((d) => d >= 0.85).length).toBeGreaterThanOrEqual(4);
    const flat: RgbaImage = { width: 200, height: 200, data: new Uint8ClampedArray(200 * 200 * 4).fill(120) };
    expect(outlineFromSeed(flat, { x: 100, y: 100 })).toEqual({ ok: false, reason: 'no-structure' });
    expect(outlineFromSeed(flat, { x: 250, y: 10 })).toEqual({ ok: false, reason: 'outside-image' });
    const c = generateCase({ seed: 202, cls: 'metastatic' });
    expect(outlineFromSeed(c.images.bmode, { x: 20, y: 20 }, FIELD)).toEqual({ ok: false, reason: 'outside-image' });
  });

  it('axes of the mask outline match its own geometry (traced ellipse)', () => {
    const w = 200,
      h = 160;
    const m = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) m[y * w + x] = ((x - 100) / 70) ** 2 + ((y - 80) / 30) ** 2 <= 1 ? 1 : 0;
    const a = axesFromOutline(traceBoundary(w, h, m).map(([x, y]) => [x + 0.5, y + 0.5] as const))!;
    expect(a.longPx).toBeCloseTo(140, -0.5);
    expect(a.shortPx).toBeCloseTo(60, -0.5);
  });
});

describe.skipIf(!dataAvailable())('real images from ../shared/data (BUSI, DDTI)', () => {
  it('image area correct on ≥ 90 % of screenshot variants of a BUSI/DDTI sample', () => {
    let ok = 0,
      n = 0;
    const items = [...busi(26), ...ddti(22)];
    items.forEach((it, i) => {
      const v = makeVariant(it.image, VARIANT_KINDS[i % VARIANT_KINDS.length]!, 7000 + i);
      if (areaCorrect(proposeRoi(v.image, 'bmode').rect, v)) ok++;
      n++;
    });
    expect(n).toBeGreaterThan(40);
    expect(ok / n).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('seeded outline reaches a mean Dice ≥ 0.7 on a BUSI sample (seed at the mask centroid)', () => {
    const d: number[] = [];
    for (const it of busi(20)) {
      if (!it.mask) continue;
      const r = outlineFromSeed(it.image, seedOf(it.image.width, it.mask));
      d.push(r.ok ? dice(it.image.width, it.image.height, it.mask, r.finding.outline) : 0);
    }
    expect(d.length).toBeGreaterThan(20);
    expect(d.reduce((a, b) => a + b, 0) / d.length).toBeGreaterThanOrEqual(0.7);
  }, 120_000);
});
