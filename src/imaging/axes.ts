/**
 * A node's axes from its outline, as clinicians measure them: the long axis is the longest
 * diameter (the farthest pair of outline points), the short axis the longest chord perpendicular to
 * it. Lengths in image pixels, and in millimetres when the pixel size is known (it may differ along
 * x and y, as ultrasound regions allow).
 */

export type Point = readonly [number, number];
export type Segment = readonly [Point, Point];

export interface PixelSpacing {
  /** Millimetres per pixel along a row (x) and down a column (y). */
  x: number;
  y: number;
}

export interface NodeAxes {
  long: Segment;
  short: Segment;
  longPx: number;
  shortPx: number;
  /** Present when the scale is known. */
  longMm?: number;
  shortMm?: number;
  /** short / long (the same in pixels and, for square pixels, in millimetres). */
  ratio: number;
}

const dist = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);

export function lengthMm(s: Segment, sp: PixelSpacing): number {
  return Math.hypot((s[1][0] - s[0][0]) * sp.x, (s[1][1] - s[0][1]) * sp.y);
}

/** Convex hull (monotone chain); the farthest pair of points lies on it. */
function hull(pts: readonly Point[]): Point[] {
  const p = [...pts].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** The longest chord of the closed polygon perpendicular to the segment `axis`. */
function longestPerpendicular(poly: readonly Point[], axis: Segment): Segment {
  const [a, b] = axis;
  const len = dist(a, b) || 1;
  const ux = (b[0] - a[0]) / len,
    uy = (b[1] - a[1]) / len;
  // Coordinates along the axis (s) and across it (t).
  const st = poly.map((p) => [(p[0] - a[0]) * ux + (p[1] - a[1]) * uy, -(p[0] - a[0]) * uy + (p[1] - a[1]) * ux] as const);
  let best: { len: number; s: number; t0: number; t1: number } = { len: 0, s: len / 2, t0: 0, t1: 0 };
  const samples = 256;
  for (let k = 1; k < samples; k++) {
    const s = (len * k) / samples;
    const hits: number[] = [];
    for (let i = 0; i < st.length; i++) {
      const p = st[i]!,
        q = st[(i + 1) % st.length]!;
      if ((p[0] <= s && q[0] > s) || (q[0] <= s && p[0] > s)) hits.push(p[1] + ((s - p[0]) / (q[0] - p[0])) * (q[1] - p[1]));
    }
    if (hits.length < 2) continue;
    const t0 = Math.min(...hits),
      t1 = Math.max(...hits);
    if (t1 - t0 > best.len) best = { len: t1 - t0, s, t0, t1 };
  }
  const at = (t: number): Point => [a[0] + ux * best.s - uy * t, a[1] + uy * best.s + ux * t];
  return [at(best.t0), at(best.t1)];
}

/** Lengths (and ratio) of two axis segments, in mm too when the scale is known. */
export function measureAxes(long: Segment, short: Segment, spacing: PixelSpacing | null): NodeAxes {
  const longPx = dist(long[0], long[1]);
  const shortPx = dist(short[0], short[1]);
  const out: NodeAxes = { long, short, longPx, shortPx, ratio: longPx > 0 ? shortPx / longPx : 0 };
  if (spacing) {
    out.longMm = lengthMm(long, spacing);
    out.shortMm = lengthMm(short, spacing);
    out.ratio = out.longMm > 0 ? out.shortMm / out.longMm : 0;
  }
  return out;
}

/** Axes of a closed outline (image pixels). Null for fewer than three points. */
export function axesFromOutline(outline: readonly Point[], spacing: PixelSpacing | null = null): NodeAxes | null {
  if (outline.length < 3) return null;
  // With anisotropic pixels the longest diameter is found in millimetres, then mapped back.
  const sx = spacing?.x ?? 1,
    sy = spacing?.y ?? 1;
  const phys = outline.map((p) => [p[0] * sx, p[1] * sy] as const);
  const h = hull(phys);
  let best: Segment = [h[0]!, h[0]!];
  let bestLen = -1;
  for (let i = 0; i < h.length; i++)
    for (let j = i + 1; j < h.length; j++) {
      const d = dist(h[i]!, h[j]!);
      if (d > bestLen) {
        bestLen = d;
        best = [h[i]!, h[j]!];
      }
    }
  const shortPhys = longestPerpendicular(phys, best);
  const back = (p: Point): Point => [p[0] / sx, p[1] / sy];
  return measureAxes([back(best[0]), back(best[1])], [back(shortPhys[0]), back(shortPhys[1])], spacing);
}
