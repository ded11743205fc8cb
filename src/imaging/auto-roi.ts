/**
 * Proposes a region of interest for a scanner screenshot: the ultrasound image area, without the
 * text, scales, gray and colour bars around it. For a dual view (B-mode beside strain or Doppler)
 * the panel that fits the slot is proposed; colour boxes inside the image stay inside the region.
 * The user can always adjust it. Pure TS on RGBA pixels.
 *
 * How: ./image-area.ts finds the picture as content that differs from the chrome's background
 * colour (not as "grainy" texture, which JPEG, small frames and dark tissue defeat). Candidate
 * panels are chosen by size and colour. When the evidence is weak (no panel, a thin strip, a tiny
 * box) the whole image is proposed and the proposal says why, so the UI can tell the user.
 */

import { modalityDescriptor, type ModalityId, type RoiPanel } from '../domain';
import { components, contentMap, denseBlocks, growPanel, isColour, lum, mergeStacked } from './image-area';
import type { RgbaImage } from './resize';
import { clampRect, fullRect, type Rect } from './roi';

export interface RoiProposal {
  rect: Rect;
  /** 'image-area': found in a screenshot; 'declared': from the file (DICOM regions); 'whole': nothing better found. */
  source: 'image-area' | 'declared' | 'whole';
  /**
   * Why the whole image, when it is: 'no-chrome' (the picture fills the frame), 'weak' (some chrome
   * but no convincing picture area: proposing a strip would be worse than proposing everything).
   */
  reason?: 'no-chrome' | 'weak';
}

function lumAt(img: RgbaImage, x: number, y: number): boolean {
  const p = (y * img.width + x) * 4;
  return lum(img.data, p) > 14 || isColour(img.data, p);
}

/** Share of colour-coded pixels inside a rectangle (sparse grid). */
function colourShare(img: RgbaImage, r: Rect): number {
  const step = Math.max(1, Math.floor(Math.sqrt((r.width * r.height) / 20_000)));
  let c = 0,
    n = 0;
  for (let y = r.y; y < r.y + r.height; y += step)
    for (let x = r.x; x < r.x + r.width; x += step) {
      if (isColour(img.data, (y * img.width + x) * 4)) c++;
      n++;
    }
  return n ? c / n : 0;
}

/** Fraction of lit pixels in column x (rows y0..y1). */
function colFill(img: RgbaImage, x: number, y0: number, y1: number): number {
  let lit = 0;
  const step = Math.max(1, Math.floor((y1 - y0) / 200));
  let n = 0;
  for (let y = y0; y < y1; y += step) {
    if (lumAt(img, x, y)) lit++;
    n++;
  }
  return n ? lit / n : 0;
}

/**
 * A dual view whose two panels touch (no dark gap between them) comes out as one wide panel. When
 * one half is colour-coded and the other is not, split it at the weakest column near the middle.
 */
function splitDualView(img: RgbaImage, r: Rect): Rect[] {
  if (r.width < 1.6 * r.height) return [r];
  const half = Math.floor(r.width / 2);
  const left = { ...r, width: half };
  const right = { ...r, x: r.x + half, width: r.width - half };
  const cl = colourShare(img, left),
    cr = colourShare(img, right);
  if (Math.max(cl, cr) < 0.1 || Math.max(cl, cr) < 5 * Math.min(cl, cr)) return [r];
  let cut = r.x + half;
  let best = Infinity;
  for (let x = r.x + Math.floor(r.width * 0.4); x <= r.x + Math.floor(r.width * 0.6); x++) {
    const f = colFill(img, x, r.y, r.y + r.height);
    if (f < best) {
      best = f;
      cut = x;
    }
  }
  // Skip the separator itself (dark or a drawn line) on both sides.
  let a = cut,
    z = cut;
  while (a > r.x && colFill(img, a - 1, r.y, r.y + r.height) < 0.45) a--;
  while (z < r.x + r.width - 1 && colFill(img, z + 1, r.y, r.y + r.height) < 0.45) z++;
  return [
    { ...r, width: a - r.x },
    { ...r, x: z + 1, width: r.x + r.width - z - 1 },
  ].filter((q) => q.width > 0);
}

/** Picks the panel for the slot: the most colour-coded one or the grayest, as the registry says. */
function choose(img: RgbaImage, rects: Rect[], panel: RoiPanel): Rect {
  const area = (r: Rect) => r.width * r.height;
  const biggest = Math.max(...rects.map(area));
  const big = rects.filter((r) => area(r) >= 0.4 * biggest);
  if (big.length === 1) return big[0]!;
  const scored = big.map((r) => ({ r, c: colourShare(img, r) }));
  const maxC = Math.max(...scored.map((s) => s.c));
  const minC = Math.min(...scored.map((s) => s.c));
  if (maxC - minC < 0.01) return big.sort((a, b) => area(b) - area(a))[0]!;
  scored.sort((a, b) => (panel === 'least-colour' ? a.c - b.c : b.c - a.c));
  return scored[0]!.r;
}

/** Grows the rectangle to take in colour-coded pixels that touch it (a CDFI/strain box at its edge). */
function includeColourBox(img: RgbaImage, r: Rect, margin: number): Rect {
  let x0 = r.x,
    y0 = r.y,
    x1 = r.x + r.width - 1,
    y1 = r.y + r.height - 1;
  const ex0 = Math.max(0, r.x - margin),
    ey0 = Math.max(0, r.y - margin),
    ex1 = Math.min(img.width - 1, x1 + margin),
    ey1 = Math.min(img.height - 1, y1 + margin);
  for (let y = ey0; y <= ey1; y++)
    for (let x = ex0; x <= ex1; x++) {
      if (x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height) continue;
      if (isColour(img.data, (y * img.width + x) * 4)) {
        // Only if the colour continues inwards (a colour box), not an isolated bar next to the image.
        const ix = Math.min(Math.max(x, r.x), r.x + r.width - 1);
        const iy = Math.min(Math.max(y, r.y), r.y + r.height - 1);
        let joined = true;
        for (let k = 1; k <= 8 && joined; k++) {
          const px = Math.round(x + ((ix - x) * k) / 8),
            py = Math.round(y + ((iy - y) * k) / 8);
          if (!isColour(img.data, (py * img.width + px) * 4)) joined = false;
        }
        // …and runs well inside the image (a colour box), unlike a marker or bar that merely touches it.
        const dx = Math.sign(r.x + r.width / 2 - ix),
          dy = Math.sign(r.y + r.height / 2 - iy);
        for (let k = 1; k <= margin && joined; k++) {
          const px = ix + (x === ix ? 0 : dx * k),
            py = iy + (y === iy ? 0 : dy * k);
          if (!isColour(img.data, (py * img.width + px) * 4)) joined = false;
        }
        if (!joined) continue;
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * The region to propose for an image in a slot. `declared` are image areas the file itself states
 * (DICOM Sequence of Ultrasound Regions), preferred when present.
 */
export function proposeRoi(img: RgbaImage, modality: ModalityId, declared: Rect[] = []): RoiProposal {
  const whole = (reason: 'no-chrome' | 'weak'): RoiProposal => ({
    rect: fullRect(img.width, img.height),
    source: 'whole',
    reason,
  });
  const strategy = modalityDescriptor(modality).roi;
  const valid = declared
    .map((r) => clampRect(r, img.width, img.height))
    .filter((r) => r.width >= 32 && r.height >= 32 && r.width * r.height >= 0.05 * img.width * img.height);
  if (valid.length) return { rect: choose(img, valid, strategy.panel), source: 'declared' };
  if (img.width < 48 || img.height < 48) return whole('weak');

  const map = contentMap(img);
  // Blocks of ~1/120 of the longest side, never under 3 px (2-px blocks see single speckle grains).
  const b = Math.max(3, Math.round(Math.max(img.width, img.height) / 120));
  const { gw, gh, mask } = denseBlocks(map, b);
  const panels = mergeStacked(components(mask, gw, gh)).filter((p) => p.blocks >= 0.03 * gw * gh);
  if (!panels.length) return whole('weak');
  // Touching dual views are split only where the registry says so (strain beside B-mode): a wide
  // Doppler image with flow on one side must stay whole.
  const rects = panels.flatMap((p) => {
    const r = growPanel(map, p, b);
    return strategy.splitDualView ? splitDualView(img, r) : [r];
  });
  let rect = choose(img, rects, strategy.panel);
  if (strategy.includeColourBox) rect = includeColourBox(img, rect, 2 * b);
  rect = clampRect(rect, img.width, img.height);
  const share = (rect.width * rect.height) / (img.width * img.height);
  // Nearly the whole picture: no chrome to leave out. Likewise when the picture reaches three
  // edges of the image: a frame with chrome (or a letterbox) has it on two sides at least, while a
  // bare picture often ends in dark, deep tissue on the fourth.
  const touching =
    Number(rect.x <= 2) +
    Number(rect.y <= 2) +
    Number(rect.x + rect.width >= img.width - 2) +
    Number(rect.y + rect.height >= img.height - 2);
  if (share >= 0.93 || (!map.uniformBorder && share >= 0.8) || (touching >= 3 && share >= 0.5)) return whole('no-chrome');
  // A strip or a tiny box is never a plausible picture area: say so rather than propose it.
  const aspect = rect.width / rect.height;
  if (share < 0.1 || aspect > 3.2 || aspect < 1 / 3.2) return whole('weak');
  return { rect, source: 'image-area' };
}
