/** Bringing a coarse Grad-CAM map to the size of the region it explains. */

/** Samples a camW×camH map at output pixel centres (half-pixel aligned), clamping at the borders. */
export function upsampleBilinear(cam: Float32Array, camW: number, camH: number, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(Math.max(((y + 0.5) * camH) / outH - 0.5, 0), camH - 1);
    const y0 = Math.floor(sy),
      y1 = Math.min(y0 + 1, camH - 1),
      fy = sy - y0;
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(Math.max(((x + 0.5) * camW) / outW - 0.5, 0), camW - 1);
      const x0 = Math.floor(sx),
        x1 = Math.min(x0 + 1, camW - 1),
        fx = sx - x0;
      const top = cam[y0 * camW + x0]! * (1 - fx) + cam[y0 * camW + x1]! * fx;
      const bottom = cam[y1 * camW + x0]! * (1 - fx) + cam[y1 * camW + x1]! * fx;
      out[y * outW + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
