/** Turns the ROI pixels into the network's input exactly as a model pack's `input` spec says. */

import type { InputSpec } from '../model-pack';
import { resizeBilinearAntialias, type RgbaImage } from './resize';

/**
 * Returns NHWC float32 values (batch of one, without the batch axis): resized, channel-ordered,
 * scaled and normalised. Alpha is ignored.
 */
export function preprocess(img: RgbaImage, spec: InputSpec): Float32Array {
  const resized = resizeBilinearAntialias(img, spec.width, spec.height);
  const n = spec.width * spec.height;
  const out = new Float32Array(n * 3);
  const order = spec.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const src = order[c]!;
    const mean = spec.mean[c]!;
    const std = spec.std[c]!;
    for (let i = 0; i < n; i++) {
      out[i * 3 + c] = (resized.data[i * 4 + src]! * spec.scale - mean) / std;
    }
  }
  return out;
}
