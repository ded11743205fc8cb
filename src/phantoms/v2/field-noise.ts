/**
 * Smooth random fields that can be read at any world point (millimetres): normals on a lattice,
 * smoothstep-interpolated. Version 2 samples tissue at beam-grid points, which are not on a
 * Cartesian raster for a curvilinear probe, so the fields are functions rather than images.
 * Anisotropic cells (and a rotation) give fibrillar muscle and elongated fat septa.
 */

import type { Rng } from '../rng';

/** A smooth random field; a class (not closures) so that V8 inlines `at` in the per-sample loops. */
export class FieldNoise {
  constructor(
    private readonly grid: Float32Array,
    private readonly gw: number,
    private readonly gh: number,
    private readonly u0: number,
    private readonly v0: number,
    private readonly c: number,
    private readonly s: number,
    private readonly cellAlong: number,
    private readonly cellAcross: number,
  ) {}

  /** Roughly zero-mean, unit-variance value at (x, z) mm. */
  at(x: number, z: number): number {
    const gu = (x * this.c + z * this.s) / this.cellAlong - this.u0;
    const gv = (-x * this.s + z * this.c) / this.cellAcross - this.v0;
    const gw = this.gw;
    const iu = Math.min(gw - 2, Math.max(0, Math.floor(gu)));
    const iv = Math.min(this.gh - 2, Math.max(0, Math.floor(gv)));
    let fu = gu - iu;
    let fv = gv - iv;
    fu = fu * fu * (3 - 2 * fu);
    fv = fv * fv * (3 - 2 * fv);
    const g = this.grid;
    const i = iv * gw + iu;
    const a = g[i]! + (g[i + 1]! - g[i]!) * fu;
    const b = g[i + gw]! + (g[i + gw + 1]! - g[i + gw]!) * fu;
    // Bilinear interpolation of unit normals with smoothstep weights loses variance (≈ 0.52 of it on
    // average over a cell): rescale to unit variance on average.
    return (a + (b - a) * fv) * 1.38;
  }
}

export function fieldNoise(
  rng: Rng,
  bounds: { x0: number; x1: number; z0: number; z1: number },
  cellAlong: number,
  cellAcross = cellAlong,
  angle = 0,
): FieldNoise {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  // Lattice covering the rotated bounding box, with a margin.
  const corners = [
    [bounds.x0, bounds.z0],
    [bounds.x1, bounds.z0],
    [bounds.x0, bounds.z1],
    [bounds.x1, bounds.z1],
  ].map(([x, z]) => [(x! * c + z! * s) / cellAlong, (-x! * s + z! * c) / cellAcross] as const);
  const u0 = Math.floor(Math.min(...corners.map((k) => k[0]))) - 1;
  const v0 = Math.floor(Math.min(...corners.map((k) => k[1]))) - 1;
  const gw = Math.ceil(Math.max(...corners.map((k) => k[0]))) - u0 + 3;
  const gh = Math.ceil(Math.max(...corners.map((k) => k[1]))) - v0 + 3;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.normal();
  return new FieldNoise(grid, gw, gh, u0, v0, c, s, cellAlong, cellAcross);
}
