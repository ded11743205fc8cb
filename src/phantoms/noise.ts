/** Smooth random fields (value noise) used for tissue texture, heterogeneity and stiffness patches. */

import type { Rng } from './rng';

/**
 * Zero-mean, roughly unit-variance noise that varies over `cellX` × `cellY` pixels: normals on a
 * coarse lattice, bilinearly interpolated. Anisotropic cells give elongated structures (fat septa).
 */
export function smoothNoise(rng: Rng, width: number, height: number, cellX: number, cellY = cellX): Float32Array {
  const gw = Math.ceil(width / cellX) + 2;
  const gh = Math.ceil(height / cellY) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.normal();
  const out = new Float32Array(width * height);
  // Column lattice indices and weights are the same for every row: compute them once.
  const ix = new Int32Array(width);
  const fx = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const gx = x / cellX;
    ix[x] = Math.floor(gx);
    fx[x] = smooth(gx - ix[x]!);
  }
  for (let y = 0; y < height; y++) {
    const gy = y / cellY;
    const iy = Math.floor(gy);
    const fy = smooth(gy - iy);
    const row0 = iy * gw;
    const row1 = row0 + gw;
    const o = y * width;
    for (let x = 0; x < width; x++) {
      const c = ix[x]!;
      const f = fx[x]!;
      const g00 = grid[row0 + c]!;
      const g10 = grid[row1 + c]!;
      const a = g00 + (grid[row0 + c + 1]! - g00) * f;
      const b = g10 + (grid[row1 + c + 1]! - g10) * f;
      out[o + x] = a + (b - a) * fy;
    }
  }
  // Interpolation shrinks the variance by an amount that depends on the cell size: renormalise.
  let sumSq = 0;
  for (let i = 0; i < out.length; i++) sumSq += out[i]! * out[i]!;
  const scale = 1 / Math.sqrt(sumSq / out.length + 1e-12);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
  return out;
}

/** Smoothstep easing so the interpolated lattice shows no creases. */
function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/** In-place separable box blur (running sums), radius in pixels; cheap stand-in for a Gaussian. */
export function boxBlur(data: Float32Array, width: number, height: number, radius: number): void {
  if (radius < 1) return;
  const tmp = new Float32Array(Math.max(width, height));
  for (let y = 0; y < height; y++) blurLine(data, y * width, 1, width, radius, tmp);
  for (let x = 0; x < width; x++) blurLine(data, x, width, height, radius, tmp);
}

function blurLine(data: Float32Array, start: number, stride: number, n: number, radius: number, tmp: Float32Array): void {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < Math.min(radius, n); i++) {
    sum += data[start + i * stride]!;
    count++;
  }
  for (let i = 0; i < n; i++) {
    const add = i + radius;
    if (add < n) {
      sum += data[start + add * stride]!;
      count++;
    }
    const drop = i - radius - 1;
    if (drop >= 0) {
      sum -= data[start + drop * stride]!;
      count--;
    }
    tmp[i] = sum / count;
  }
  for (let i = 0; i < n; i++) data[start + i * stride] = tmp[i]!;
}
