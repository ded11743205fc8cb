/**
 * Grad-CAM display colours, applied after the map is upsampled to the ROI (src/explain/upsample).
 * Colour-mapping after upsampling keeps colours on the scale (interpolating colours would not).
 *
 * The default is `magenta`, a single-hue sequential map: ultrasound colour coding uses red/blue
 * (Doppler, with yellow/cyan at aliasing and orange for power Doppler) and blue–green–red (strain
 * elastography), so a rainbow heatmap over a CDFI or elastography image reads as flow or
 * stiffness. Magenta is in none of those scales, and one hue varies only in lightness, which also
 * reads under colour-vision deficiency. Turbo stays available, labelled as the confusable one.
 */

export const COLORMAPS = ['magenta', 'viridis', 'turbo'] as const;
export type ColormapName = (typeof COLORMAPS)[number];
export const DEFAULT_COLORMAP: ColormapName = 'magenta';

/** How a heatmap is shown: over the image, as iso-lines on it, or beside it. */
export const HEATMAP_VIEWS = ['overlay', 'contour', 'side'] as const;
export type HeatmapView = (typeof HEATMAP_VIEWS)[number];

export function isColormapName(v: unknown): v is ColormapName {
  return typeof v === 'string' && (COLORMAPS as readonly string[]).includes(v);
}

// Anchor colours sampled from the published Turbo and Viridis maps; linear interpolation between
// them. Magenta (hue ≈ 320°) runs from dark to a saturated bright magenta: the high end stays
// visible both over dark ultrasound and on a white printed page (a pale high end would vanish there).
const ANCHORS: Record<ColormapName, [number, number, number][]> = {
  magenta: [
    [70, 0, 55],
    [120, 0, 90],
    [170, 0, 125],
    [210, 10, 150],
    [240, 40, 175],
  ],
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
