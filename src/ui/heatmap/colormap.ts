/**
 * Grad-CAM display colours, applied after the map is upsampled to the ROI (src/explain/upsample).
 * Colour-mapping after upsampling keeps colours on the scale (interpolating colours would not).
 */

export type ColormapName = 'turbo' | 'viridis';

// Anchor colours sampled from the published Turbo and Viridis maps; linear interpolation between them.
const ANCHORS: Record<ColormapName, [number, number, number][]> = {
  turbo: [
    [48, 18, 59],
    [70, 107, 227],
    [40, 187, 236],
    [49, 242, 153],
    [162, 252, 60],
    [237, 208, 58],
    [251, 128, 34],
    [208, 47, 5],
    [122, 4, 3],
  ],
  viridis: [
    [68, 1, 84],
    [72, 40, 120],
    [62, 74, 137],
    [49, 104, 142],
    [38, 130, 142],
    [31, 158, 137],
    [53, 183, 121],
    [109, 205, 89],
    [180, 222, 44],
    [253, 231, 37],
  ],
};

export function colourAt(name: ColormapName, v: number): [number, number, number] {
  const a = ANCHORS[name];
  const t = Math.min(Math.max(v, 0), 1) * (a.length - 1);
  const i = Math.min(Math.floor(t), a.length - 2);
  const f = t - i;
  const c0 = a[i]!,
    c1 = a[i + 1]!;
  return [c0[0] + (c1[0] - c0[0]) * f, c0[1] + (c1[1] - c0[1]) * f, c0[2] + (c1[2] - c0[2]) * f];
}

/** RGBA overlay: colour from the map, alpha growing with the value so cold regions stay see-through. */
export function heatmapRgba(values: Float32Array, name: ColormapName): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const [r, g, b] = colourAt(name, v);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = Math.round(255 * Math.min(1, 0.15 + 0.85 * v));
  }
  return out;
}
