/**
 * Where the ultrasound picture lies in a screenshot: the evidence auto-ROI works from.
 *
 * Why not "grainy blocks": JPEG smoothing, small frames and dark (hypoechoic or deep) tissue make
 * speckle look smooth and dim, so a texture test drops whole parts of the picture and the region
 * shrinks to a strip of bright skin. What separates the picture from the chrome around it is
 * rather that chrome sits on a uniform background colour (black, or a vendor's dark gray/blue),
 * with sparse text and thin lines on it. So:
 *  1. the background colour is read from the image border (when the border is uniform);
 *  2. a pixel is "content" when it differs from that colour (any tissue, even dark, differs a little);
 *  3. dense blocks of content, opened to remove thin text and lines, form candidate panels;
 *  4. each panel's box is grown outwards line by line while the lines still hold content and no run
 *     of empty lines (the gap between the picture and the chrome) is met, so dark tissue at the
 *     bottom and the tips of a sector stay in, a text column a few pixels away stays out.
 */

import type { RgbaImage } from './resize';
import type { Rect } from './roi';

export interface ContentMap {
  width: number;
  height: number;
  /** 1 where the pixel differs from the background colour (or is colour-coded). */
  content: Uint8Array;
  /** True when the border is one uniform colour, i.e. there is chrome (or a letterbox) around. */
  uniformBorder: boolean;
}

export interface Panel {
  x0: number;
  y0: number;
  x1: number; // exclusive, in blocks
  y1: number;
  blocks: number;
}

const COLOUR = 40; // channel spread above which a pixel is colour-coded

export function lum(d: ArrayLike<number>, p: number): number {
  return (d[p]! * 77 + d[p + 1]! * 150 + d[p + 2]! * 29) >> 8;
}

export function isColour(d: ArrayLike<number>, p: number): boolean {
  const r = d[p]!,
    g = d[p + 1]!,
    b = d[p + 2]!;
  return Math.max(r, g, b) - Math.min(r, g, b) > COLOUR;
}

/** Mode of a luminance histogram over a ±4 window (JPEG noise spreads a flat colour over a few levels). */
function mode(hist: Uint32Array): { value: number; count: number } {
  let value = 0,
    count = -1;
  for (let v = 0; v < 256; v++) {
    let c = 0;
    for (let k = Math.max(0, v - 4); k <= Math.min(255, v + 4); k++) c += hist[k]!;
    if (c > count) {
      count = c;
      value = v;
    }
  }
  return { value, count };
}

/**
 * The background colour's luminance, read from the sides of the border that are one uniform colour
 * (a letterbox has only two such sides, a full-frame picture none), and how far from it a pixel
 * must be to count as content: the background's own noise (JPEG, dithering) sets the bar, so a
 * clean black border lets dim deep tissue count.
 */
function borderBackground(img: RgbaImage): { bg: number; uniform: boolean; tol: number } {
  const frame = Math.max(1, Math.round(Math.min(img.width, img.height) / 100));
  const sides = [
    { x0: 0, x1: img.width, y0: 0, y1: frame },
    { x0: 0, x1: img.width, y0: img.height - frame, y1: img.height },
    { x0: 0, x1: frame, y0: 0, y1: img.height },
    { x0: img.width - frame, x1: img.width, y0: 0, y1: img.height },
  ];
  const all = new Uint32Array(256);
  let uniformSides = 0;
  for (const s of sides) {
    const hist = new Uint32Array(256);
    let n = 0;
    for (let y = s.y0; y < s.y1; y++)
      for (let x = s.x0; x < s.x1; x++) {
        hist[lum(img.data, (y * img.width + x) * 4)]!++;
        n++;
      }
    if (mode(hist).count >= 0.7 * n) {
      uniformSides++;
      for (let v = 0; v < 256; v++) all[v]! += hist[v]!;
    }
  }
  if (!uniformSides) return { bg: 0, uniform: false, tol: 9 };
  const best = mode(all).value;
  let dev = 0,
    m = 0;
  for (let v = Math.max(0, best - 24); v <= Math.min(255, best + 24); v++) {
    dev += all[v]! * Math.abs(v - best);
    m += all[v]!;
  }
  const mad = m ? dev / m : 0;
  return { bg: best, uniform: true, tol: Math.min(12, Math.max(5, Math.round(4 + 3 * mad))) };
}

export function contentMap(img: RgbaImage): ContentMap {
  const { bg, uniform, tol } = borderBackground(img);
  const content = new Uint8Array(img.width * img.height);
  const d = img.data;
  for (let i = 0, p = 0; i < content.length; i++, p += 4) {
    content[i] = Math.abs(lum(d, p) - bg) > tol || isColour(d, p) ? 1 : 0;
  }
  return { width: img.width, height: img.height, content, uniformBorder: uniform };
}

/** Blocks of side `b` in which at least half the pixels are content, then opened (erode + dilate). */
export function denseBlocks(map: ContentMap, b: number): { gw: number; gh: number; mask: Uint8Array } {
  const gw = Math.floor(map.width / b);
  const gh = Math.floor(map.height / b);
  const raw = new Uint8Array(gw * gh);
  const need = 0.5 * b * b;
  for (let by = 0; by < gh; by++)
    for (let bx = 0; bx < gw; bx++) {
      let c = 0;
      for (let y = by * b; y < by * b + b; y++) {
        const row = y * map.width;
        for (let x = bx * b; x < bx * b + b; x++) c += map.content[row + x]!;
      }
      raw[by * gw + bx] = c >= need ? 1 : 0;
    }
  // Opening with a 2×2 element: text lines and scale ticks (one block thick) vanish, panels stay.
  const eroded = new Uint8Array(gw * gh);
  for (let y = 0; y < gh - 1; y++)
    for (let x = 0; x < gw - 1; x++) {
      const i = y * gw + x;
      eroded[i] = raw[i]! & raw[i + 1]! & raw[i + gw]! & raw[i + gw + 1]!;
    }
  const mask = new Uint8Array(gw * gh);
  for (let y = 0; y < gh; y++)
    for (let x = 0; x < gw; x++) {
      const i = y * gw + x;
      mask[i] =
        eroded[i]! | (x > 0 ? eroded[i - 1]! : 0) | (y > 0 ? eroded[i - gw]! : 0) | (x > 0 && y > 0 ? eroded[i - gw - 1]! : 0);
    }
  return { gw, gh, mask };
}

export function components(mask: Uint8Array, gw: number, gh: number): Panel[] {
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
      if (x > 0 && mask[j - 1] && !seen[j - 1]) {
        seen[j - 1] = 1;
        stack.push(j - 1);
      }
      if (x < gw - 1 && mask[j + 1] && !seen[j + 1]) {
        seen[j + 1] = 1;
        stack.push(j + 1);
      }
      if (y > 0 && mask[j - gw] && !seen[j - gw]) {
        seen[j - gw] = 1;
        stack.push(j - gw);
      }
      if (y < gh - 1 && mask[j + gw] && !seen[j + gw]) {
        seen[j + gw] = 1;
        stack.push(j + gw);
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
export function mergeStacked(panels: Panel[]): Panel[] {
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

/** A line counts as picture while this share of it continues content of the line before. */
const EXTEND_FILL = 0.03;

/** Content of one line (a row from x0..x1 or a column from y0..y1), as a 0/1 array. */
function line(m: ContentMap, horizontal: boolean, i: number, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from + 1);
  if (horizontal) out.set(m.content.subarray(i * m.width + from, i * m.width + to + 1));
  else for (let k = from; k <= to; k++) out[k - from] = m.content[k * m.width + i]!;
  return out;
}

/**
 * Moves one edge outwards line by line while the next line's content continues the content of the
 * lines already taken (within 2 pixels, skipping at most one dim line). Content that merely sits
 * nearby does not count: a depth ruler or a text column beyond a gap of background, or an isolated
 * tick, never continues the picture, while dark deep tissue and the slanted edges of a sector do.
 * A nearly empty margin kept by the block grid is trimmed first.
 */
/** True when the `gap` lines after line i (outwards) are all nearly empty, or the image ends. */
function emptyRunAhead(
  m: ContentMap,
  horizontal: boolean,
  i: number,
  outward: 1 | -1,
  from: number,
  to: number,
  gap: number,
): boolean {
  const limit = horizontal ? m.height : m.width;
  const n = to - from + 1;
  for (let k = 1; k <= gap; k++) {
    const j = i + outward * k;
    if (j < 0 || j >= limit) return true;
    if (line(m, horizontal, j, from, to).reduce((a, v) => a + v, 0) / n >= EXTEND_FILL) return false;
  }
  return true;
}

function growEdge(
  m: ContentMap,
  horizontal: boolean,
  edge: number,
  outward: 1 | -1,
  from: number,
  to: number,
  maxTrim: number,
  gap: number,
): number {
  const limit = horizontal ? m.height : m.width;
  const n = to - from + 1;
  const fill = (l: Uint8Array) => l.reduce((a, v) => a + v, 0) / n;
  let e = edge;
  for (let k = 0; k < maxTrim && fill(line(m, horizontal, e, from, to)) < EXTEND_FILL; k++) e -= outward;
  let front = line(m, horizontal, e, from, to);
  let prev = front;
  for (let i = e + outward; i >= 0 && i < limit; i += outward) {
    const cur = line(m, horizontal, i, from, to);
    const cont = new Uint8Array(n);
    let c = 0;
    for (let k = 0; k < n; k++) {
      if (!cur[k]) continue;
      for (let d = -2; d <= 2; d++) {
        const j = k + d;
        if (j >= 0 && j < n && (front[j] || prev[j])) {
          cont[k] = 1;
          c++;
          break;
        }
      }
    }
    if (c / n < EXTEND_FILL) {
      // Rows (growing in depth) may cross dim bands of deep tissue whose sparse specks do not line
      // up from one row to the next: there, a line of raw content continues the picture unless a
      // run of `gap` empty lines (the gap before the chrome) follows.
      if (!horizontal || fill(cur) < EXTEND_FILL || emptyRunAhead(m, horizontal, i, outward, from, to, gap)) break;
      cont.set(cur);
    }
    e = i;
    prev = front;
    front = cont;
  }
  return cutThinLine(m, horizontal, e, outward, from, to, edge);
}

/**
 * A depth ruler or frame line a few pixels off the picture can still be reached through JPEG
 * ringing in the gap. Its signature at the grown edge: a nearly empty line (the gap) and, beyond
 * it, a nearly full one (the line), within the outer 12 lines. The edge is moved back to the gap.
 */
function cutThinLine(
  m: ContentMap,
  horizontal: boolean,
  e: number,
  outward: 1 | -1,
  from: number,
  to: number,
  start: number,
): number {
  const n = to - from + 1;
  const fill = (i: number) => line(m, horizontal, i, from, to).reduce((a, v) => a + v, 0) / n;
  let solid = -1;
  for (let k = 0; k < 12; k++) {
    const i = e - outward * k;
    if ((i - start) * outward <= 0) break;
    if (fill(i) >= 0.8) solid = i;
    else if (solid >= 0 && fill(i) < 0.25) {
      // i is the gap: keep the lines inside it, unless the picture itself is this sparse here.
      let j = i;
      while ((j - start) * outward > 0 && fill(j) < 0.25) j -= outward;
      return j;
    }
  }
  return e;
}

/** The panel's rectangle in pixels, grown to the whole picture it belongs to. */
export function growPanel(m: ContentMap, p: Panel, b: number): Rect {
  let x0 = p.x0 * b,
    y0 = p.y0 * b,
    x1 = Math.min(m.width, p.x1 * b) - 1,
    y1 = Math.min(m.height, p.y1 * b) - 1;
  const gap = Math.max(4, Math.round(Math.max(m.width, m.height) / 150));
  for (let pass = 0; pass < 3; pass++) {
    const before = [x0, y0, x1, y1].join();
    y0 = growEdge(m, true, y0, -1, x0, x1, b, gap);
    y1 = growEdge(m, true, y1, 1, x0, x1, b, gap);
    x0 = growEdge(m, false, x0, -1, y0, y1, b, gap);
    x1 = growEdge(m, false, x1, 1, y0, y1, b, gap);
    if ([x0, y0, x1, y1].join() === before) break;
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Share of content in column x over the rect's rows (for dual-view splitting). */
export function columnFill(m: ContentMap, x: number, r: Rect): number {
  return line(m, false, x, r.y, r.y + r.height - 1).reduce((a, v) => a + v, 0) / r.height;
}
