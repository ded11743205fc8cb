/** How a Grad-CAM view is sized and outlined on screen (pure: the canvas work is the UI's). */

/** The levels the contour view outlines (fractions of the map's own maximum, which is 1). */
export const CONTOUR_LEVELS = [0.25, 0.5, 0.75] as const;

/**
 * Display size of a heatmap view: small regions are scaled up to at least `min` pixels wide (an 87 px
 * region would otherwise give an 87 px map no one can read), large ones down to `max`; the aspect
 * ratio is kept. The height is capped at 2 × `max` for extreme regions (then the width follows).
 */
export function heatmapDisplaySize(
  width: number,
  height: number,
  min = 256,
  max = 384,
): { width: number; height: number; scale: number } {
  if (!(width > 0) || !(height > 0)) return { width: min, height: min, scale: 1 };
  let scale = Math.min(Math.max(width, min), max) / width;
  if (height * scale > 2 * max) scale = (2 * max) / height;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scale };
}

/**
 * Iso-contours of a map at `levels`, as a mask the size of the map: 0 off the lines, k + 1 on the
 * line of `levels[k]`. A pixel is on a line when it is at or above the level and one of its eight
 * neighbours is below it: lines one to two pixels wide, drawn at display resolution (no blur).
 */
export function contourMask(
  values: Float32Array,
  width: number,
  height: number,
  levels: readonly number[] = CONTOUR_LEVELS,
): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = values[y * width + x]!;
      for (let k = levels.length - 1; k >= 0; k--) {
        const level = levels[k]!;
        if (v < level) continue;
        let edge = false;
        for (let dy = -1; dy <= 1 && !edge; dy++) {
          for (let dx = -1; dx <= 1 && !edge; dx++) {
            const nx = x + dx,
              ny = y + dy;
            if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
            if (values[ny * width + nx]! < level) edge = true;
          }
        }
        if (edge) {
          out[y * width + x] = k + 1;
          break;
        }
      }
    }
  }
  return out;
}
