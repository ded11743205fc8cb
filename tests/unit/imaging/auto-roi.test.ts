import { describe, expect, it } from 'vitest';
import { proposeRoi } from '../../../src/imaging/auto-roi';
import type { RgbaImage } from '../../../src/imaging/resize';
import type { Rect } from '../../../src/imaging/roi';
import {
  BMODE_FIELD_ORIGIN,
  createRng,
  ELASTO_STRAIN_ORIGIN,
  FIELD_HEIGHT,
  FIELD_WIDTH,
  generateCase,
  type NodeClass,
} from '../../../src/phantoms';

function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.next();
}

function canvas(w: number, h: number): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width: w, height: h, data };
}
function set(img: RgbaImage, x: number, y: number, c: [number, number, number]): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  img.data.set(c, (y * img.width + x) * 4);
}
function speckle(
  img: RgbaImage,
  r: Rect,
  seed: number,
  tint?: (x: number, y: number, g: number) => [number, number, number],
): void {
  const rand = rng(seed);
  for (let y = r.y; y < r.y + r.height; y++)
    for (let x = r.x; x < r.x + r.width; x++) {
      // A dark horizontal band across the whole field, as a muscle layer gives.
      const band = y > r.y + r.height * 0.45 && y < r.y + r.height * 0.52 ? 0.35 : 1;
      const g = Math.min(255, 110 * band * -Math.log(rand() + 1e-6) * 0.8);
      set(img, x, y, tint ? tint(x, y, g) : [g, g, g]);
    }
}
/** Blocky "text" made of bright strokes, like scanner annotations. */
function text(img: RgbaImage, x: number, y: number, chars: number, seed: number): void {
  const rand = rng(seed);
  for (let c = 0; c < chars; c++)
    for (let dy = 0; dy < 9; dy++)
      for (let dx = 0; dx < 5; dx++) if (rand() < 0.35) set(img, x + c * 7 + dx, y + dy, [220, 220, 220]);
}
function colourBar(img: RgbaImage, x: number, y: number, h: number): void {
  for (let yy = 0; yy < h; yy++)
    for (let xx = 0; xx < 10; xx++) set(img, x + xx, y + yy, yy < h / 2 ? [230, 200 - yy, 20] : [20, 80 + yy / 3, 230]);
}
function depthScale(img: RgbaImage, x: number, y: number, h: number): void {
  for (let yy = 0; yy < h; yy++) set(img, x, y + yy, [200, 200, 200]);
  for (let yy = 0; yy < h; yy += 40) for (let xx = 0; xx < 6; xx++) set(img, x + xx, y + yy, [200, 200, 200]);
}
const contains = (outer: Rect, inner: Rect, slack = 2) =>
  inner.x >= outer.x - slack &&
  inner.y >= outer.y - slack &&
  inner.x + inner.width <= outer.x + outer.width + slack &&
  inner.y + inner.height <= outer.y + outer.height + slack;
function iou(a: Rect, b: Rect): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

describe('automatic ROI on synthetic screenshots', () => {
  it('finds the image area of a B-mode screenshot, leaving out text, scale and colour bar', () => {
    const img = canvas(800, 600);
    const field: Rect = { x: 150, y: 90, width: 480, height: 420 };
    speckle(img, field, 1);
    text(img, 10, 10, 30, 2);
    text(img, 10, 60, 8, 3);
    text(img, 660, 560, 12, 4);
    depthScale(img, 634, 90, 420);
    colourBar(img, 100, 300, 150);
    const p = proposeRoi(img, 'bmode');
    expect(p.source).toBe('image-area');
    expect(iou(p.rect, field)).toBeGreaterThan(0.95);
  });

  it('proposes the colour strain panel of a dual-view elastography screenshot', () => {
    const img = canvas(1000, 500);
    const left: Rect = { x: 40, y: 70, width: 420, height: 380 };
    const right: Rect = { x: 520, y: 70, width: 420, height: 380 };
    speckle(img, left, 5);
    speckle(img, right, 6, (x, y, g) => {
      const t = Math.sin(x / 25) * Math.cos(y / 30);
      return t > 0 ? [40, 120 + g / 3, 60] : [60, 60, 150 + g / 3];
    });
    text(img, 10, 10, 40, 7);
    colourBar(img, 960, 100, 200);
    const p = proposeRoi(img, 'elastography');
    expect(iou(p.rect, right)).toBeGreaterThan(0.9);
    // The same screenshot in the B-mode slot gets the grayscale panel.
    expect(iou(proposeRoi(img, 'bmode').rect, left)).toBeGreaterThan(0.9);
  });

  it('splits a dual view whose panels touch, and proposes the strain panel', () => {
    const img = canvas(1000, 500);
    const left: Rect = { x: 60, y: 70, width: 440, height: 380 };
    const right: Rect = { x: 500, y: 70, width: 440, height: 380 };
    speckle(img, left, 15);
    speckle(img, right, 16, (x, y, g) => (Math.sin(x / 20 + y / 35) > 0 ? [200, 60 + g / 4, 40] : [40, 80 + g / 4, 200]));
    text(img, 10, 10, 40, 17);
    expect(iou(proposeRoi(img, 'elastography').rect, right)).toBeGreaterThan(0.95);
    expect(iou(proposeRoi(img, 'bmode').rect, left)).toBeGreaterThan(0.95);
  });

  it('keeps a CDFI colour box inside the proposed region', () => {
    const img = canvas(640, 480);
    const field: Rect = { x: 100, y: 60, width: 440, height: 380 };
    const box: Rect = { x: 300, y: 60, width: 240, height: 160 }; // touches the field's top-right corner
    speckle(img, field, 9, (x, y, g) =>
      x >= box.x && y < box.y + box.height && Math.sin(x / 7 + y / 11) > 0.6 ? [200, 30, 30] : [g, g, g],
    );
    colourBar(img, 570, 100, 200);
    text(img, 5, 5, 20, 10);
    const p = proposeRoi(img, 'cdfi');
    expect(contains(p.rect, box)).toBe(true);
    expect(iou(p.rect, field)).toBeGreaterThan(0.9);
    expect(p.rect.x + p.rect.width).toBeLessThan(570);
  });

  it('keeps the whole image when there is no chrome, and uses declared regions', () => {
    const img = canvas(300, 200);
    speckle(img, { x: 0, y: 0, width: 300, height: 200 }, 11);
    expect(proposeRoi(img, 'bmode').source).toBe('whole');
    const declared = { x: 10, y: 20, width: 200, height: 150 };
    expect(proposeRoi(img, 'bmode', [declared])).toEqual({ rect: declared, source: 'declared' });
    expect(proposeRoi(canvas(200, 100), 'bmode').source).toBe('whole');
  });
});

describe('automatic ROI on simulated scanner screenshots', () => {
  const classes: NodeClass[] = ['metastatic', 'lymphoma', 'benign'];
  const bField: Rect = { x: BMODE_FIELD_ORIGIN.x, y: BMODE_FIELD_ORIGIN.y, width: FIELD_WIDTH, height: FIELD_HEIGHT };
  const sField: Rect = { x: ELASTO_STRAIN_ORIGIN.x, y: ELASTO_STRAIN_ORIGIN.y, width: FIELD_WIDTH, height: FIELD_HEIGHT };
  for (let i = 0; i < 6; i++) {
    const cls = classes[i % 3]!;
    it(`case ${cls} #${i}: image area found, node's ROI inside it`, () => {
      const c = generateCase({ seed: 100 + i, cls });
      const b = proposeRoi(c.images.bmode, 'bmode');
      expect(iou(b.rect, bField)).toBeGreaterThan(0.97);
      expect(contains(b.rect, c.rois.bmode)).toBe(true);
      const d = proposeRoi(c.images.cdfi, 'cdfi');
      expect(iou(d.rect, bField)).toBeGreaterThan(0.97);
      expect(contains(d.rect, c.rois.cdfi)).toBe(true);
      const e = proposeRoi(c.images.elastography, 'elastography');
      expect(iou(e.rect, sField)).toBeGreaterThan(0.97);
      expect(contains(e.rect, c.rois.elastography)).toBe(true);
    });
  }
});
