/**
 * Proposes a region of interest for a scanner screenshot: the ultrasound image area, without the
 * text, scales, gray and colour bars around it. For a dual view (B-mode beside strain or Doppler)
 * the panel that fits the slot is proposed; colour boxes inside the image stay inside the region.
 * The user can always adjust it. Pure TS on RGBA pixels.
 *
 * How: the image is divided into small blocks; a block is "image-like" when most of its pixels are
 * lit and their brightness varies the way speckle does (text is sparse, bars are smooth, background
 * is dark). Connected image-like blocks form candidate panels; stacked pieces of one panel are
 * merged; the panel is chosen by size and colour; its edges are refined pixel by pixel.
 */

import { modalityDescriptor, type ModalityId, type RoiPanel } from '../domain';
import type { RgbaImage } from './resize';
import { clampRect, fullRect, type Rect } from './roi';

export interface RoiProposal {
  rect: Rect;
  /** 'image-area': found in a screenshot; 'declared': from the file (DICOM regions); 'whole': nothing better found. */
  source: 'image-area' | 'declared' | 'whole';
}

interface Panel {
  x0: number;
  y0: number;
  x1: number; // exclusive, in blocks
  y1: number;
  blocks: number;
}

const LIT = 14; // luminance above which a pixel is not background
const COLOUR = 40; // channel spread above which a pixel is colour-coded

function lum(d: ArrayLike<number>, p: number): number {
  return (d[p]! * 77 + d[p + 1]! * 150 + d[p + 2]! * 29) >> 8;
}

function isColour(d: ArrayLike<number>, p: number): boolean {
  const r = d[p]!,
    g = d[p + 1]!,
    b = d[p + 2]!;
  return Math.max(r, g, b) - Math.min(r, g, b) > COLOUR;
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

function blockGrid(img: RgbaImage, b: number): { gw: number; gh: number; mask: Uint8Array } {
  const gw = Math.floor(img.width / b);
  const gh = Math.floor(img.height / b);
  const mask = new Uint8Array(gw * gh);
  const d = img.data;
  const n = b * b;
  for (let by = 0; by < gh; by++)
    for (let bx = 0; bx < gw; bx++) {
      let lit = 0,
        s = 0,
        s2 = 0,
        colour = 0;
      for (let y = by * b; y < by * b + b; y++)
        for (let x = bx * b; x < bx * b + b; x++) {
          const p = (y * img.width + x) * 4;
          const v = lum(d, p);
          if (v > LIT) lit++;
          if (isColour(d, p)) colour++;
          s += v;
          s2 += v * v;
        }
      const mean = s / n;
      const std = Math.sqrt(Math.max(0, s2 / n - mean * mean));
      // Speckle: mostly lit and grainy. Colour-coded flow/strain counts as image too when dense.
      const textured = lit >= 0.55 * n && std >= 5;
      const colourFill = colour >= 0.6 * n;
      mask[by * gw + bx] = textured || colourFill ? 1 : 0;
    }
  return { gw, gh, mask };
}

function components(mask: Uint8Array, gw: number, gh: number): Panel[] {
  const seen = new Uint8Array(mask.length);
  const out: Panel[] = [];
  const stack: number[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i] || seen[i]) continue;
    const p: Panel = { x0: gw, y0: gh, x1: 0, y1: 0, blocks: 0 };
    stack.push(i);
    seen[i] = 1;
    while (stack.length) {
      const j = stack.pop()!;
      const x = j % gw,
        y = (j / gw) | 0;
      p.blocks++;
      if (x < p.x0) p.x0 = x;
      if (y < p.y0) p.y0 = y;
      if (x + 1 > p.x1) p.x1 = x + 1;
      if (y + 1 > p.y1) p.y1 = y + 1;
      const nb = [x > 0 ? j - 1 : -1, x < gw - 1 ? j + 1 : -1, y > 0 ? j - gw : -1, y < gh - 1 ? j + gw : -1];
      for (const k of nb)
        if (k >= 0 && mask[k] && !seen[k]) {
          seen[k] = 1;
          stack.push(k);
        }
    }
    out.push(p);
  }
  return out;
}

function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

/** Joins pieces of one panel split by a dark band (same columns, stacked) or nested inside it. */
function mergeStacked(panels: Panel[]): Panel[] {
  const list = panels.slice().sort((a, b) => b.blocks - a.blocks);
  let merged = true;
  while (merged) {
    merged = false;
    for (let i = 0; i < list.length && !merged; i++)
      for (let j = i + 1; j < list.length && !merged; j++) {
        const a = list[i]!,
          b = list[j]!;
        const w = Math.min(a.x1 - a.x0, b.x1 - b.x0);
        const h = Math.min(a.y1 - a.y0, b.y1 - b.y0);
        const xo = overlap(a.x0, a.x1, b.x0, b.x1);
        const yo = overlap(a.y0, a.y1, b.y0, b.y1);
        const stacked = xo >= 0.8 * w && b.x1 - b.x0 >= 0.5 * (a.x1 - a.x0) && Math.max(a.y0, b.y0) - Math.min(a.y1, b.y1) <= 3;
        const nested = xo >= 0.9 * w && yo >= 0.9 * h;
        if (stacked || nested) {
          a.x0 = Math.min(a.x0, b.x0);
          a.y0 = Math.min(a.y0, b.y0);
          a.x1 = Math.max(a.x1, b.x1);
          a.y1 = Math.max(a.y1, b.y1);
          a.blocks += b.blocks;
          list.splice(j, 1);
          merged = true;
        }
      }
  }
  return list;
}

/** Fraction of lit pixels in column x (rows y0..y1) or row y (columns x0..x1). */
function colFill(img: RgbaImage, x: number, y0: number, y1: number): number {
  let lit = 0;
  const step = Math.max(1, Math.floor((y1 - y0) / 200));
  let n = 0;
  for (let y = y0; y < y1; y += step) {
    if (lum(img.data, (y * img.width + x) * 4) > LIT || isColour(img.data, (y * img.width + x) * 4)) lit++;
    n++;
  }
  return n ? lit / n : 0;
}
function rowFill(img: RgbaImage, y: number, x0: number, x1: number): number {
  let lit = 0;
  const step = Math.max(1, Math.floor((x1 - x0) / 200));
  let n = 0;
  for (let x = x0; x < x1; x += step) {
    if (lum(img.data, (y * img.width + x) * 4) > LIT || isColour(img.data, (y * img.width + x) * 4)) lit++;
    n++;
  }
  return n ? lit / n : 0;
}

/**
 * Moves an edge (given at block precision) to the outermost line of a run of `run` consecutive
 * well-lit lines, searching `reach` pixels either side: thin scale lines next to the image are
 * skipped, the image's own dark margin is kept out.
 */
function refineEdge(fill: (i: number) => number, from: number, inward: 1 | -1, reach: number, limit: number, run = 4): number {
  const start = Math.min(Math.max(from - inward * reach, 0), limit - 1);
  for (let i = start, k = 0; k <= 4 * reach && i >= 0 && i < limit; i += inward, k++) {
    let ok = true;
    for (let r = 0; r < run; r++) {
      const j = i + inward * r;
      if (j < 0 || j >= limit || fill(j) < 0.45) {
        ok = false;
        break;
      }
    }
    if (ok) return i;
  }
  return from;
}

function refine(img: RgbaImage, p: Panel, b: number): Rect {
  let x0 = p.x0 * b,
    x1 = Math.min(img.width, p.x1 * b) - 1,
    y0 = p.y0 * b,
    y1 = Math.min(img.height, p.y1 * b) - 1;
  const reach = 2 * b;
  // Refine in the middle band so corners (sector images, overlays) do not mislead the fill.
  const my0 = y0 + Math.floor((y1 - y0) * 0.1),
    my1 = y1 - Math.floor((y1 - y0) * 0.1);
  const mx0 = x0 + Math.floor((x1 - x0) * 0.1),
    mx1 = x1 - Math.floor((x1 - x0) * 0.1);
  x0 = refineEdge((x) => colFill(img, x, my0, my1), x0, 1, reach, img.width);
  x1 = refineEdge((x) => colFill(img, x, my0, my1), x1, -1, reach, img.width);
  y0 = refineEdge((y) => rowFill(img, y, mx0, mx1), y0, 1, reach, img.height);
  y1 = refineEdge((y) => rowFill(img, y, mx0, mx1), y1, -1, reach, img.height);
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
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
  const whole: RoiProposal = { rect: fullRect(img.width, img.height), source: 'whole' };
  const strategy = modalityDescriptor(modality).roi;
  const valid = declared
    .map((r) => clampRect(r, img.width, img.height))
    .filter((r) => r.width >= 32 && r.height >= 32 && r.width * r.height >= 0.05 * img.width * img.height);
  if (valid.length) return { rect: choose(img, valid, strategy.panel), source: 'declared' };
  if (img.width < 48 || img.height < 48) return whole;

  const b = Math.max(2, Math.round(Math.max(img.width, img.height) / 200));
  const { gw, gh, mask } = blockGrid(img, b);
  const panels = mergeStacked(components(mask, gw, gh)).filter((p) => p.blocks >= 0.02 * gw * gh);
  if (!panels.length) return whole;
  // Touching dual views are split only where the registry says so (strain beside B-mode): a wide
  // Doppler image with flow on one side must stay whole.
  const rects = panels.flatMap((p) => (strategy.splitDualView ? splitDualView(img, refine(img, p, b)) : [refine(img, p, b)]));
  let rect = choose(img, rects, strategy.panel);
  if (strategy.includeColourBox) rect = includeColourBox(img, rect, 2 * b);
  rect = clampRect(rect, img.width, img.height);
  // Nearly the whole picture (no chrome found) or implausibly small: keep the whole image.
  if (rect.width * rect.height >= 0.95 * img.width * img.height) return whole;
  if (rect.width * rect.height < 0.08 * img.width * img.height) return whole;
  return { rect, source: 'image-area' };
}
