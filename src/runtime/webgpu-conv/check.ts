/**
 * The app's WebGPU kernels check themselves on the user's device before any model uses them, as
 * every backend passes a smoke test (backends/smoke.ts, which runs before they are installed and
 * so tests tfjs's kernels): a driver's shader compiler can be wrong, and a wrong heatmap is worse
 * than a slow one. Two small fused convolutions, one per input path (4-channel loads and single
 * channels), with bias, one with ReLU, against the same sums done in JavaScript.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGpuConvolution } from './convolution';

const SIZE = 6;
const OUT = 8;
const CASES = [
  { inChannels: 4, relu: true },
  { inChannels: 3, relu: false },
] as const;

const value = (i: number, a: number, m: number) => ((i * a) % m) / (m / 2) - 1;

function reference(x: number[], w: number[], b: number[], cin: number, relu: boolean): number[] {
  const out: number[] = [];
  for (let y = 0; y < SIZE; y++)
    for (let xx = 0; xx < SIZE; xx++)
      for (let o = 0; o < OUT; o++) {
        let s = b[o]!;
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = y + ky - 1;
            const ix = xx + kx - 1;
            if (iy < 0 || iy >= SIZE || ix < 0 || ix >= SIZE) continue;
            for (let c = 0; c < cin; c++) s += x[(iy * SIZE + ix) * cin + c]! * w[((ky * 3 + kx) * cin + c) * OUT + o]!;
          }
        out.push(relu ? Math.max(0, s) : s);
      }
  return out;
}

/**
 * Runs the check on the active webgpu backend with `conv` installed; returns what was wrong, or
 * null. `tolerance` is relative to max(1, |expected|): 1e-4 for f32, 1e-2 for f16 operands.
 */
export async function checkKernels(conv: WebGpuConvolution, tolerance: number): Promise<string | null> {
  for (const { inChannels: cin, relu } of CASES) {
    const xs = Array.from({ length: SIZE * SIZE * cin }, (_, i) => value(i, 7, 11));
    const ws = Array.from({ length: 9 * cin * OUT }, (_, i) => value(i, 5, 9) / 2);
    const bs = Array.from({ length: OUT }, (_, i) => value(i, 3, 7) / 4);
    const x = tf.tensor4d(xs, [1, SIZE, SIZE, cin]);
    const filter = tf.tensor4d(ws, [3, 3, cin, OUT]);
    const bias = tf.tensor1d(bs);
    const run = () => tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'same', activation: relu ? 'relu' : 'linear' });
    let got: Float32Array;
    let ranOwn: boolean;
    try {
      // The first call starts the pipeline (tfjs's kernel answers it); the second is the app's.
      tf.dispose(run());
      await conv.settled();
      const before = conv.calls.own;
      const y = run();
      ranOwn = conv.calls.own > before;
      try {
        got = await y.data<'float32'>();
      } finally {
        y.dispose();
      }
    } finally {
      tf.dispose([x, filter, bias]);
    }
    // A pipeline that failed leaves the variant to tfjs: nothing of the app's ran to be wrong.
    if (!ranOwn) continue;
    const expected = reference(xs, ws, bs, cin, relu);
    for (let i = 0; i < expected.length; i++) {
      const g = got[i]!;
      const e = expected[i]!;
      if (!Number.isFinite(g) || Math.abs(g - e) > tolerance * Math.max(1, Math.abs(e))) {
        return `self-check (${cin} input channels): ${g} where ${e.toFixed(6)} was expected`;
      }
    }
  }
  return null;
}
