import { describe, expect, it } from 'vitest';
import { BMODE_SCREEN, CLASS_NAMES, generateCase, type PhantomCase } from '../../../src/phantoms';

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

/** Mean B-mode grey inside the node mask and in a ring just outside it (2–5 px away). */
function insideOutside(pc: PhantomCase): { inside: number; ring: number } {
  const w = pc.maskWidth;
  const node = pc.masks.node;
  const hilum = pc.masks.hilum;
  const grey = (i: number): number => pc.images.bmode.data[i * 4]!;
  let si = 0;
  let ni = 0;
  let so = 0;
  let no = 0;
  const b = bbox(node, w);
  for (let y = b.y0 - 5; y <= b.y1 + 5; y++) {
    for (let x = b.x0 - 5; x <= b.x1 + 5; x++) {
      const i = y * w + x;
      if (node[i]) {
        if (!hilum[i] && !pc.masks.calcifications[i]) {
          si += grey(i);
          ni++;
        }
        continue;
      }
      let near = false;
      for (let d = 2; d <= 5 && !near; d++) near = !!(node[i - d] || node[i + d] || node[i - d * w] || node[i + d * w]);
      let touching = false;
      for (let d = 1; d < 2 && !touching; d++) touching = !!(node[i - d] || node[i + d] || node[i - d * w] || node[i + d * w]);
      if (near && !touching) {
        so += grey(i);
        no++;
      }
    }
  }
  return { inside: si / ni, ring: so / no };
}

describe('masks line up with the rendered node', () => {
  it('node masks sit inside the ROIs, structures sit inside the node', () => {
    for (const cls of CLASS_NAMES) {
      for (const seed of [5, 6, 7]) {
        const pc = generateCase({ seed, cls });
        const w = pc.maskWidth;
        expect(w).toBe(BMODE_SCREEN.width);
        const b = bbox(pc.masks.node, w);
        expect(b.count).toBeGreaterThan(200);
        for (const roi of [pc.rois.bmode, pc.rois.cdfi]) {
          expect(b.x0).toBeGreaterThanOrEqual(roi.x);
          expect(b.y0).toBeGreaterThanOrEqual(roi.y);
          expect(b.x1).toBeLessThan(roi.x + roi.width);
          expect(b.y1).toBeLessThan(roi.y + roi.height);
        }
        for (const name of ['hilum', 'necrosis', 'calcifications'] as const) {
          const m = pc.masks[name];
          let outside = 0;
          let total = 0;
          for (let i = 0; i < m.length; i++) {
            if (!m[i]) continue;
            total++;
            if (!pc.masks.node[i]) outside++;
          }
          expect(outside, `${cls} ${seed} ${name}`).toBeLessThanOrEqual(total * 0.02);
        }
        expect(pc.params.hilumPresent).toBe(bbox(pc.masks.hilum, w).count > 0);
        expect(pc.params.calcificationCount > 0).toBe(bbox(pc.masks.calcifications, w).count > 0);
      }
    }
  });

  it('the masked node is darker than the fat around it (hypoechoic cortex)', () => {
    let checked = 0;
    for (let seed = 20; seed < 40 && checked < 8; seed++) {
      for (const cls of ['lymphoma', 'benign'] as const) {
        const pc = generateCase({ seed, cls });
        if (pc.params.echogenicity > 0.2 || pc.params.hilumWidthFrac > 0.3 || pc.params.texture === 'reticulated') continue;
        const { inside, ring } = insideOutside(pc);
        expect(inside, `${cls} seed ${seed}`).toBeLessThan(ring - 10);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('calcification masks are bright on the B-mode image', () => {
    for (let seed = 1; seed < 200; seed++) {
      const pc = generateCase({ seed, cls: 'metastatic' });
      if (pc.params.calcificationCount === 0) continue;
      const m = pc.masks.calcifications;
      let sum = 0;
      let n = 0;
      for (let i = 0; i < m.length; i++) {
        if (m[i]) {
          sum += pc.images.bmode.data[i * 4]!;
          n++;
        }
      }
      expect(sum / n).toBeGreaterThan(150);
      return;
    }
    throw new Error('no calcified case found');
  });
});
