/**
 * Star-shaped outline around a seed by dynamic programming in polar coordinates: rays are cast from
 * the seed, each radius is scored by how strongly the smoothed image turns brighter (a hypoechoic
 * node) or darker (a bright one) across it, and the closed path of radii with the best total score
 * whose radius changes by at most a pixel or two between neighbouring rays is kept. Lymph nodes
 * and most lesions are ovoid, so a star shape around a click inside them is a sound prior; it also
 * steps over the hilum and internal echoes that stop a threshold region early.
 */

export interface PolarResult {
  /** Contour points (working-image pixels). */
  points: [number, number][];
  /** Mean outward edge strength along the contour (grey levels per pixel). */
  strength: number;
}

const RAYS = 96;
const MAX_STEP = 2;

function sample(v: Float32Array, w: number, h: number, x: number, y: number): number {
  const x0 = Math.max(0, Math.min(w - 2, Math.floor(x))),
    y0 = Math.max(0, Math.min(h - 2, Math.floor(y)));
  const fx = Math.min(1, Math.max(0, x - x0)),
    fy = Math.min(1, Math.max(0, y - y0));
  const i = y0 * w + x0;
  return (v[i]! * (1 - fx) + v[i + 1]! * fx) * (1 - fy) + (v[i + w]! * (1 - fx) + v[i + w + 1]! * fx) * fy;
}

/**
 * `dark`: the node is darker than its surroundings (the usual case); the edge sought turns brighter
 * outwards. Returns null when the seed is too close to the image border for any ray.
 */
export function polarOutline(v: Float32Array, w: number, h: number, sx: number, sy: number, dark: boolean): PolarResult | null {
  const rMin = 3;
  // Large nodules fill much of a close-up crop (DDTI): rays reach past half the picture's side.
  const rMax = Math.floor(0.55 * Math.max(w, h));
  if (rMax <= rMin + 4) return null;
  const R = rMax - rMin;
  // cost[k][j]: minus the outward edge strength at radius rMin + j on ray k (outside the image: none).
  const cost = new Float32Array(RAYS * R);
  const inside = (x: number, y: number) => x >= 1 && y >= 1 && x < w - 2 && y < h - 2;
  for (let k = 0; k < RAYS; k++) {
    const a = (2 * Math.PI * k) / RAYS;
    const dx = Math.cos(a),
      dy = Math.sin(a);
    for (let j = 0; j < R; j++) {
      const r = rMin + j;
      const x = sx + dx * r,
        y = sy + dy * r;
      if (!inside(x + 2 * dx, y + 2 * dy) || !inside(x - 2 * dx, y - 2 * dy)) {
        // Past the border a ray may end (a node cut by the image edge), at a fixed small reward.
        cost[k * R + j] = -0.5;
        continue;
      }
      const d = sample(v, w, h, x + 2 * dx, y + 2 * dy) - sample(v, w, h, x - 2 * dx, y - 2 * dy);
      const e = dark ? d : -d;
      cost[k * R + j] = -Math.max(0, e) / 4;
    }
  }
  // Closed path: run the DP over 1.5 turns and keep the middle turn, whose ends agree closely.
  const turns = Math.round(RAYS * 1.5);
  const acc = new Float32Array(turns * R);
  const from = new Int16Array(turns * R);
  for (let j = 0; j < R; j++) acc[j] = cost[j]!;
  for (let t = 1; t < turns; t++) {
    const k = t % RAYS;
    for (let j = 0; j < R; j++) {
      let best = Infinity,
        bj = j;
      for (let d = -MAX_STEP; d <= MAX_STEP; d++) {
        const p = j + d;
        if (p < 0 || p >= R) continue;
        const c = acc[(t - 1) * R + p]! + 0.02 * Math.abs(d);
        if (c < best) {
          best = c;
          bj = p;
        }
      }
      acc[t * R + j] = best + cost[k * R + j]!;
      from[t * R + j] = bj;
    }
  }
  let j = 0;
  for (let q = 1; q < R; q++) if (acc[(turns - 1) * R + q]! < acc[(turns - 1) * R + j]!) j = q;
  const radii = new Int16Array(turns);
  for (let t = turns - 1; t >= 0; t--) {
    radii[t] = j;
    if (t > 0) j = from[t * R + j]!;
  }
  const start = Math.floor(RAYS / 4);
  const points: [number, number][] = [];
  let strength = 0;
  for (let t = start; t < start + RAYS; t++) {
    const k = t % RAYS;
    const r = rMin + radii[t]!;
    const a = (2 * Math.PI * k) / RAYS;
    points.push([sx + Math.cos(a) * r, sy + Math.sin(a) * r]);
    strength += -cost[k * R + radii[t]!]!;
  }
  return { points, strength: strength / RAYS };
}
