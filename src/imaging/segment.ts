/**
 * Seeded outline of a node: the user clicks inside it, this finds its border. Used when no learned
 * node finder is available (or it is unsure). Pure TS on RGBA pixels; runs in the outline worker.
 *
 * How: inside the picture area, the image is reduced to at most WORK_SIDE pixels a side and
 * smoothed (speckle is noise at this scale). Two kinds of candidates are built around the seed:
 *  - a star-shaped outline found by dynamic programming on rays from the seed (./segment-polar.ts):
 *    nodes are ovoid, and this steps over the hilum and internal echoes;
 *  - threshold regions {smoothed ≤ t} (dark node) or {≥ t} (bright) connected to the seed, for a
 *    range of t, opened to cut thin leaks, holes filled.
 * The candidate whose border runs along the strongest edges (mean gradient magnitude) wins. No
 * border clearly stronger than the picture's typical edges means the click was not inside a
 * structure. Measured against the BUSI and DDTI masks in docs/roi.md.
 */

import type { NodeFinding } from '../domain';
import { lum } from './image-area';
import type { RgbaImage } from './resize';
import { clampRect, cropRgba, type Rect } from './roi';
import { polarOutline } from './segment-polar';

export const WORK_SIDE = 192;

export type SeedOutline = { ok: true; finding: NodeFinding } | { ok: false; reason: 'outside-image' | 'no-structure' };

interface Gray {
  w: number;
  h: number;
  v: Float32Array;
}

/** Area-average reduction to at most WORK_SIDE a side. */
function reduce(img: RgbaImage): { g: Gray; f: number } {
  const f = Math.max(1, Math.max(img.width, img.height) / WORK_SIDE);
  const w = Math.max(1, Math.round(img.width / f)),
    h = Math.max(1, Math.round(img.height / f));
  const v = new Float32Array(w * h);
  const n = new Float32Array(w * h);
  for (let y = 0; y < img.height; y++) {
    const gy = Math.min(h - 1, Math.floor(y / f));
    for (let x = 0; x < img.width; x++) {
      const i = gy * w + Math.min(w - 1, Math.floor(x / f));
      v[i]! += lum(img.data, (y * img.width + x) * 4);
      n[i]!++;
    }
  }
  for (let i = 0; i < v.length; i++) v[i] = n[i]! ? v[i]! / n[i]! : 0;
  return { g: { w, h, v }, f };
}

function boxBlur(g: Gray, r: number): Gray {
  const { w, h } = g;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0,
        c = 0;
      for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r); k++) {
        s += g.v[y * w + k]!;
        c++;
      }
      tmp[y * w + x] = s / c;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0,
        c = 0;
      for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r); k++) {
        s += tmp[k * w + x]!;
        c++;
      }
      out[y * w + x] = s / c;
    }
  return { w, h, v: out };
}

function gradient(g: Gray): Float32Array {
  const { w, h, v } = g;
  const out = new Float32Array(w * h);
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const gx = v[i - w + 1]! + 2 * v[i + 1]! + v[i + w + 1]! - v[i - w - 1]! - 2 * v[i - 1]! - v[i + w - 1]!;
      const gy = v[i + w - 1]! + 2 * v[i + w]! + v[i + w + 1]! - v[i - w - 1]! - 2 * v[i - w]! - v[i - w + 1]!;
      out[i] = Math.hypot(gx, gy) / 8;
    }
  return out;
}

/** 4-connected component of `inside` containing `seed`. */
function flood(w: number, h: number, inside: (i: number) => boolean, seed: number, out: Uint8Array): number {
  out.fill(0);
  if (!inside(seed)) return 0;
  const stack = [seed];
  out[seed] = 1;
  let n = 0;
  while (stack.length) {
    const i = stack.pop()!;
    n++;
    const x = i % w,
      y = (i / w) | 0;
    if (x > 0 && !out[i - 1] && inside(i - 1)) {
      out[i - 1] = 1;
      stack.push(i - 1);
    }
    if (x < w - 1 && !out[i + 1] && inside(i + 1)) {
      out[i + 1] = 1;
      stack.push(i + 1);
    }
    if (y > 0 && !out[i - w] && inside(i - w)) {
      out[i - w] = 1;
      stack.push(i - w);
    }
    if (y < h - 1 && !out[i + w] && inside(i + w)) {
      out[i + w] = 1;
      stack.push(i + w);
    }
  }
  return n;
}

/** Mean gradient on the region's boundary, and the share of the boundary on the image's edge. */
function boundaryScore(w: number, h: number, r: Uint8Array, grad: Float32Array): { mean: number; onEdge: number } {
  let s = 0,
    n = 0,
    edge = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!r[i]) continue;
      const atEdge = x === 0 || y === 0 || x === w - 1 || y === h - 1;
      if (atEdge) {
        edge++;
        n++;
        continue;
      }
      if (!r[i - 1] || !r[i + 1] || !r[i - w] || !r[i + w]) {
        s += grad[i]!;
        n++;
      }
    }
  return { mean: n ? s / n : 0, onEdge: n ? edge / n : 1 };
}

/** Opening by a (2k+1)² square, then the component holding the seed, then holes filled. */
function clean(w: number, h: number, r: Uint8Array, seed: number, k: number): Uint8Array {
  const ero = new Uint8Array(w * h);
  for (let y = k; y < h - k; y++)
    for (let x = k; x < w - k; x++) {
      let all = 1;
      for (let dy = -k; dy <= k && all; dy++) for (let dx = -k; dx <= k && all; dx++) all &= r[(y + dy) * w + x + dx]!;
      ero[y * w + x] = all;
    }
  const open = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (!ero[y * w + x]) continue;
      for (let dy = -k; dy <= k; dy++) for (let dx = -k; dx <= k; dx++) open[(y + dy) * w + x + dx] = 1;
    }
  const keep = new Uint8Array(w * h);
  // The seed may sit in a thin part the opening removed: fall back to the unopened region.
  const src = open[seed] ? open : r;
  flood(w, h, (i) => src[i] === 1, seed, keep);
  // Fill holes: what the outside cannot reach from the image border.
  const outside = new Uint8Array(w * h);
  const stack: number[] = [];
  for (let x = 0; x < w; x++)
    for (const y of [0, h - 1])
      if (!keep[y * w + x] && !outside[y * w + x]) {
        outside[y * w + x] = 1;
        stack.push(y * w + x);
      }
  for (let y = 0; y < h; y++)
    for (const x of [0, w - 1])
      if (!keep[y * w + x] && !outside[y * w + x]) {
        outside[y * w + x] = 1;
        stack.push(y * w + x);
      }
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % w,
      y = (i / w) | 0;
    for (const j of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1])
      if (j >= 0 && !keep[j] && !outside[j]) {
        outside[j] = 1;
        stack.push(j);
      }
  }
  for (let i = 0; i < keep.length; i++) keep[i] = outside[i] ? 0 : 1;
  return keep;
}

/** Outer boundary of a 0/1 region (Moore neighbour tracing), as pixel-corner-free centre points. */
export function traceBoundary(w: number, h: number, r: ArrayLike<number>): [number, number][] {
  let start = -1;
  for (let i = 0; i < w * h; i++)
    if (r[i]) {
      start = i;
      i = w * h;
    }
  if (start < 0) return [];
  const at = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && r[y * w + x] === 1;
  const dirs = [
    [1, 0],
    [1, 1],
    [0, 1],
    [-1, 1],
    [-1, 0],
    [-1, -1],
    [0, -1],
    [1, -1],
  ] as const;
  const sx = start % w,
    sy = (start / w) | 0;
  const out: [number, number][] = [[sx, sy]];
  let x = sx,
    y = sy,
    dir = 6; // came from the left/top: start looking upward
  for (let steps = 0; steps < 4 * w * h; steps++) {
    let found = false;
    for (let k = 0; k < 8; k++) {
      const d = (dir + 6 + k) % 8; // start from the left of the previous direction
      const nx = x + dirs[d]![0],
        ny = y + dirs[d]![1];
      if (at(nx, ny)) {
        x = nx;
        y = ny;
        dir = d;
        found = true;
        break;
      }
    }
    if (!found || (x === sx && y === sy)) break;
    out.push([x, y]);
  }
  return out;
}

/** Douglas–Peucker simplification of a closed polyline. */
export function simplify(pts: [number, number][], eps: number): [number, number][] {
  if (pts.length < 8) return pts;
  const keep = new Uint8Array(pts.length);
  const rec = (a: number, b: number) => {
    const [ax, ay] = pts[a]!,
      [bx, by] = pts[b]!;
    const len = Math.hypot(bx - ax, by - ay) || 1;
    let best = -1,
      bi = -1;
    for (let i = a + 1; i < b; i++) {
      const [px, py] = pts[i]!;
      const d = Math.abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / len;
      if (d > best) {
        best = d;
        bi = i;
      }
    }
    if (best > eps && bi > 0) {
      keep[bi] = 1;
      rec(a, bi);
      rec(bi, b);
    }
  };
  const mid = pts.length >> 1;
  keep[0] = keep[mid] = 1;
  rec(0, mid);
  rec(mid, pts.length - 1);
  keep[pts.length - 1] = 1;
  return pts.filter((_, i) => keep[i]);
}

/**
 * The outline of the structure around `seed` (image pixels), or why there is none. Bounded work:
 * at most WORK_SIDE² pixels × 48 thresholds, well under a second in any browser.
 */
export function outlineFromSeed(img: RgbaImage, seed: { x: number; y: number }, area?: Rect): SeedOutline {
  if (!(seed.x >= 0 && seed.y >= 0 && seed.x < img.width && seed.y < img.height)) return { ok: false, reason: 'outside-image' };
  // Work inside the picture only: the border between the picture and the screen's black chrome
  // is the strongest edge of a screenshot and must not pass for the node's wall.
  const a = area ? clampRect(area, img.width, img.height) : null;
  if (a && !(seed.x >= a.x && seed.y >= a.y && seed.x < a.x + a.width && seed.y < a.y + a.height))
    return { ok: false, reason: 'outside-image' };
  if (a && (a.x > 0 || a.y > 0 || a.width < img.width || a.height < img.height)) {
    const r = outlineFromSeed(cropRgba(img, a), { x: seed.x - a.x, y: seed.y - a.y });
    if (!r.ok) return r;
    const { box, outline, score } = r.finding;
    return {
      ok: true,
      finding: {
        box: { ...box, x: box.x + a.x, y: box.y + a.y },
        outline: outline.map(([x, y]) => [x + a.x, y + a.y] as const),
        score,
      },
    };
  }
  const { g: raw, f } = reduce(img);
  const g = boxBlur(boxBlur(raw, 2), 1);
  const grad = gradient(g);
  const { w, h, v } = g;
  const sx = Math.min(w - 1, Math.floor(seed.x / f)),
    sy = Math.min(h - 1, Math.floor(seed.y / f));
  const si = sy * w + sx;
  let m0 = 0,
    mn = 0;
  for (let dy = -2; dy <= 2; dy++)
    for (let dx = -2; dx <= 2; dx++) {
      const x = sx + dx,
        y = sy + dy;
      if (x >= 0 && y >= 0 && x < w && y < h) {
        m0 += v[y * w + x]!;
        mn++;
      }
    }
  m0 /= mn;
  // Typical edge strength of the picture: a border must stand out from it to count.
  const sorted = Float32Array.from(grad).sort();
  const typical = sorted[Math.floor(sorted.length * 0.5)]!;
  const region = new Uint8Array(w * h);
  let best: { score: number; t: number; dark: boolean } | null = null;
  const minArea = 12,
    maxArea = 0.85 * w * h;
  for (const dark of [true, false]) {
    for (let k = 1; k <= 24; k++) {
      const t = dark ? m0 + 2.5 * k : m0 - 2.5 * k;
      const n = flood(w, h, dark ? (i) => v[i]! <= t : (i) => v[i]! >= t, si, region);
      if (n < minArea) continue;
      if (n > maxArea) break;
      const { mean, onEdge } = boundaryScore(w, h, region, grad);
      if (onEdge > 0.5) break;
      // Bright structures are rarer nodes than dark ones: a small handicap avoids picking a bright
      // capsule or fat plane around a dark node.
      const score = mean * (dark ? 1 : 0.85);
      if (!best || score > best.score) best = { score, t, dark };
    }
  }
  // The star-shaped polar outline, for both polarities; scored like the threshold regions (mean
  // gradient magnitude along the border) so the better-bordered of all candidates wins.
  let polar: { score: number; points: [number, number][] } | null = null;
  for (const dark of [true, false]) {
    const p = polarOutline(v, w, h, sx, sy, dark);
    if (!p) continue;
    let sum = 0;
    for (const [x, y] of p.points)
      sum += grad[Math.min(h - 1, Math.max(0, Math.round(y))) * w + Math.min(w - 1, Math.max(0, Math.round(x)))]!;
    const score = (sum / p.points.length) * (dark ? 1 : 0.7);
    if (!polar || score > polar.score) polar = { score, points: p.points };
  }
  const usePolar = polar !== null && (!best || polar.score >= best.score);
  const bestScore = usePolar ? polar!.score : (best?.score ?? 0);
  if ((!usePolar && !best) || bestScore < 1.6 * typical + 0.5) return { ok: false, reason: 'no-structure' };
  let contour: [number, number][];
  if (usePolar) contour = polar!.points;
  else {
    const chosen = best!;
    flood(w, h, chosen.dark ? (i) => v[i]! <= chosen.t : (i) => v[i]! >= chosen.t, si, region);
    const mask = clean(w, h, region, si, Math.max(1, Math.round(Math.min(w, h) / 100)));
    contour = simplify(traceBoundary(w, h, mask), 0.7);
  }
  if (contour.length < 3) return { ok: false, reason: 'no-structure' };
  const outline = contour.map(([x, y]) => [(x + 0.5) * f, (y + 0.5) * f] as const);
  const xs = outline.map((p) => p[0]),
    ys = outline.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs) - f / 2)),
    y0 = Math.max(0, Math.floor(Math.min(...ys) - f / 2));
  const x1 = Math.min(img.width, Math.ceil(Math.max(...xs) + f / 2)),
    y1 = Math.min(img.height, Math.ceil(Math.max(...ys) + f / 2));
  const score = Math.min(1, Math.max(0, (bestScore - typical) / (4 * typical + 1)));
  return { ok: true, finding: { box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, outline, score } };
}
