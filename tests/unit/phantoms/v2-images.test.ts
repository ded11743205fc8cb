import { describe, expect, it } from 'vitest';
import {
  CLASS_NAMES,
  generateCase,
  renderCaseV2,
  sampleParamsV2,
  type PhantomCase,
  type PhantomParamsV2,
} from '../../../src/phantoms';
import { LAYOUTS } from '../../../src/phantoms/v2/layouts';

const v2 = (seed: number, cls: (typeof CLASS_NAMES)[number]): PhantomCase => generateCase({ seed, cls, version: 2 });
const params = (pc: PhantomCase): PhantomParamsV2 => pc.params as PhantomParamsV2;

function bbox(mask: Uint8Array, width: number): { x0: number; y0: number; x1: number; y1: number; count: number } {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  let count = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const x = i % width;
    const y = Math.floor(i / width);
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
    count++;
  }
  return { x0, y0, x1, y1, count };
}

const grey = (pc: PhantomCase, i: number): number => pc.images.bmode.data[i * 4]!;

/** Mean grey inside the node (cortex only) and in a ring 3–8 px outside it. */
function insideRing(pc: PhantomCase): { inside: number; ring: number } {
  const w = pc.maskWidth;
  const { node, hilum, necrosis, calcifications } = pc.masks;
  const b = bbox(node, w);
  let si = 0;
  let ni = 0;
  let so = 0;
  let no = 0;
  for (let y = b.y0 - 8; y <= b.y1 + 8; y++) {
    for (let x = b.x0 - 8; x <= b.x1 + 8; x++) {
      const i = y * w + x;
      if (node[i]) {
        if (!hilum[i] && !necrosis[i] && !calcifications[i]) {
          si += grey(pc, i);
          ni++;
        }
        continue;
      }
      let near = false;
      let touching = false;
      for (let d = 1; d <= 8; d++) {
        const hit = !!(node[i - d] || node[i + d] || node[i - d * w] || node[i + d * w]);
        if (hit && d < 3) touching = true;
        if (hit) near = true;
      }
      if (near && !touching) {
        so += grey(pc, i);
        no++;
      }
    }
  }
  return { inside: si / ni, ring: so / no };
}

const CASES = CLASS_NAMES.flatMap((cls) => [11, 12, 13].map((seed) => v2(seed, cls)));

describe('generator v2 images and masks', () => {
  it('screens have the layout sizes; masks are the B-mode screen; pixel spacing follows the depth', () => {
    for (const pc of CASES) {
      const p = params(pc);
      const L = LAYOUTS[p.layout];
      expect(pc.generatorVersion).toBe(2);
      expect([pc.images.bmode.width, pc.images.bmode.height]).toEqual([L.screen.width, L.screen.height]);
      expect([pc.images.cdfi.width, pc.images.cdfi.height]).toEqual([L.screen.width, L.screen.height]);
      expect([pc.images.elastography.width, pc.images.elastography.height]).toEqual([
        L.elastoScreen.width,
        L.elastoScreen.height,
      ]);
      expect([pc.maskWidth, pc.maskHeight]).toEqual([L.screen.width, L.screen.height]);
      // The whole depth fits the imaging area's height (or the field's width limits it).
      expect(p.depthMm / pc.pixelSpacingMm).toBeLessThanOrEqual(L.area.height + 1);
      expect(pc.pixelSpacingMm).toBeGreaterThan(0.05);
      expect(pc.pixelSpacingMm).toBeLessThan(0.3);
    }
  });

  it('node masks sit inside the imaging area and the ROIs; hilum and necrosis inside the node', () => {
    for (const pc of CASES) {
      const p = params(pc);
      const w = pc.maskWidth;
      const L = LAYOUTS[p.layout];
      const b = bbox(pc.masks.node, w);
      expect(b.count, `${pc.cls} ${pc.seed}`).toBeGreaterThan(100);
      expect(b.x0).toBeGreaterThanOrEqual(L.area.x);
      expect(b.y0).toBeGreaterThanOrEqual(L.area.y);
      expect(b.x1).toBeLessThan(L.area.x + L.area.width);
      expect(b.y1).toBeLessThan(L.area.y + L.area.height);
      const roi = pc.rois.bmode;
      expect(b.x0).toBeGreaterThanOrEqual(roi.x);
      expect(b.y0).toBeGreaterThanOrEqual(roi.y);
      expect(b.x1).toBeLessThan(roi.x + roi.width);
      expect(b.y1).toBeLessThan(roi.y + roi.height);
      for (const name of ['hilum', 'necrosis'] as const) {
        const m = pc.masks[name];
        for (let i = 0; i < m.length; i++) if (m[i]) expect(pc.masks.node[i], `${pc.cls} ${pc.seed} ${name}`).toBe(1);
      }
      expect(bbox(pc.masks.hilum, w).count > 0).toBe(p.hilumPresent);
      expect(bbox(pc.masks.calcifications, w).count > 0).toBe(p.calcificationCount + p.coarseCalcifications > 0);
      const e = pc.rois.elastography;
      expect(e.x + e.width).toBeLessThanOrEqual(pc.images.elastography.width);
    }
  });

  it('a solitary node mask has the sampled size at the declared pixel spacing', () => {
    let checked = 0;
    for (const pc of CASES) {
      const p = params(pc);
      if (p.mattedCount > 0 || p.lobulated) continue;
      const areaMm2 = bbox(pc.masks.node, pc.maskWidth).count * pc.pixelSpacingMm ** 2;
      const expected = (Math.PI / 4) * p.longAxisMm * p.shortAxisMm;
      expect(areaMm2 / expected, `${pc.cls} ${pc.seed}`).toBeGreaterThan(0.8);
      expect(areaMm2 / expected, `${pc.cls} ${pc.seed}`).toBeLessThan(1.25);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('the masked node is where the image shows it: a hypoechoic cortex is darker than the tissue around it', () => {
    let checked = 0;
    for (let seed = 30; seed < 90 && checked < 4; seed++) {
      // Chosen on the parameters (cheap), rendered only when they fit.
      const p = sampleParamsV2(seed, 'lymphoma');
      if (p.echogenicity > 0.1 || p.texture === 'reticulated' || p.mattedCount > 0 || p.hilumState === 'wide') continue;
      const pc = renderCaseV2(p);
      const { inside, ring } = insideRing(pc);
      expect(inside, `seed ${seed}`).toBeLessThan(ring - 8);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it('a curvilinear probe draws a sector: the area corners beside its apex stay background', () => {
    let checked = 0;
    for (let seed = 1; seed < 80 && checked < 2; seed++) {
      const p = sampleParamsV2(seed, 'benign');
      if (p.probe !== 'curvilinear' || p.jpegQuality > 0) continue;
      const pc = renderCaseV2(p);
      const L = LAYOUTS[p.layout];
      const corner = (L.area.y + 1) * pc.maskWidth + L.area.x + 1;
      expect(pc.images.bmode.data.slice(corner * 4, corner * 4 + 3)).toEqual(Uint8ClampedArray.from(L.background));
      checked++;
    }
    expect(checked).toBe(2);
  });

  it('colour Doppler shows colour for vascular nodes and great vessels', () => {
    let vascular = 0;
    let coloured = 0;
    for (const pc of CASES) {
      const p = params(pc);
      if (p.vascularPattern === 'avascular' && !p.carotidPresent) continue;
      vascular++;
      const a = pc.images.bmode.data;
      const c = pc.images.cdfi.data;
      let n = 0;
      for (let i = 0; i < c.length; i += 4) {
        // Saturated red or blue where the B-mode (same grey) was grey.
        if (Math.abs(a[i]! - a[i + 2]!) < 40 && Math.abs(c[i]! - c[i + 2]!) > 80) n++;
      }
      if (n > 30) coloured++;
    }
    expect(coloured).toBeGreaterThanOrEqual(Math.ceil(vascular * 0.7));
  });
});
