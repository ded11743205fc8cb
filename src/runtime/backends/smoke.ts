/**
 * The smoke test every backend passes before it is trusted: some GPUs/drivers initialise fine and
 * then return zeros or NaN, and a wrong heatmap is worse than a slow one. A 3×3 convolution with
 * bias and ReLU on a 5×5×2 input (values chosen to give a mix of positive and negative
 * pre-activations) runs on the active backend and is checked against the same sum done in JavaScript.
 */

import * as tf from '@tensorflow/tfjs';

const SMOKE = { size: 5, inChannels: 2, outChannels: 2, kernel: 3 };
const smokeInput = Array.from({ length: SMOKE.size * SMOKE.size * SMOKE.inChannels }, (_, i) => ((i * 7) % 11) / 5 - 1);
const smokeKernel = Array.from(
  { length: SMOKE.kernel ** 2 * SMOKE.inChannels * SMOKE.outChannels },
  (_, i) => ((i * 5) % 9) / 4 - 1,
);
const smokeBias = [0.25, -0.5];

/** The expected smoke output, 'same' padding, computed without tfjs. */
function smokeReference(): number[] {
  const { size, inChannels, outChannels, kernel } = SMOKE;
  const half = (kernel - 1) / 2;
  const out: number[] = [];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let o = 0; o < outChannels; o++) {
        let sum = smokeBias[o]!;
        for (let ky = 0; ky < kernel; ky++) {
          for (let kx = 0; kx < kernel; kx++) {
            const iy = y + ky - half;
            const ix = x + kx - half;
            if (iy < 0 || iy >= size || ix < 0 || ix >= size) continue;
            for (let c = 0; c < inChannels; c++) {
              const input = smokeInput[(iy * size + ix) * inChannels + c]!;
              const weight = smokeKernel[((ky * kernel + kx) * inChannels + c) * outChannels + o]!;
              sum += input * weight;
            }
          }
        }
        out.push(Math.max(0, sum));
      }
    }
  }
  return out;
}

/** Runs the smoke convolution on the active backend; returns why it failed, or null. */
export async function smokeTest(): Promise<string | null> {
  const { size, inChannels, outChannels, kernel } = SMOKE;
  const result = tf.tidy(() => {
    const x = tf.tensor4d(smokeInput, [1, size, size, inChannels]);
    const w = tf.tensor4d(smokeKernel, [kernel, kernel, inChannels, outChannels]);
    return tf.relu(tf.add(tf.conv2d(x, w, 1, 'same'), tf.tensor1d(smokeBias)));
  });
  let got: Float32Array | Int32Array | Uint8Array;
  try {
    got = await result.data();
  } finally {
    result.dispose();
  }
  const expected = smokeReference();
  if (got.length !== expected.length) return `smoke test: ${got.length} outputs, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const g = got[i]!;
    if (!Number.isFinite(g)) return `smoke test: non-finite output (${g})`;
    // Loose enough for GPUs computing in float16, far tighter than any real malfunction.
    if (Math.abs(g - expected[i]!) > 1e-2 * Math.max(1, Math.abs(expected[i]!))) {
      return `smoke test: wrong result (${g.toFixed(4)} where ${expected[i]!.toFixed(4)} was expected)`;
    }
  }
  return null;
}
