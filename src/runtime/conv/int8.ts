/**
 * The int8 side of the app's convolution kernels (kernels.c, `q8_*`, Relaxed SIMD builds only):
 * which filters may run in int8, their packed int8 copies, and the quantized-input scratch.
 *
 * A model's convolutions run in int8 only when its pack allows it for that modality
 * (`int8Compute.allowed`, measured by training/int8_run.py) and gives the layer's input scale.
 * Each call then quantizes its input once (zero padding folded into the quantized copy, so
 * 3×3 "same" layers need no separate pad), and the threads share the int8 dot-product kernel.
 * The arithmetic is the one training/export/int8.py emulates for the accuracy check.
 */

import { int8ConvReference } from './int8-reference';

/** The int8 exports; absent from the SIMD128 builds. */
export interface Int8Exports {
  q8_conv: (...args: number[]) => void;
  q8_filter_size(kh: number, kw: number, cin: number, cout: number): number;
  q8_pack_filter(filter: number, q: number, kh: number, kw: number, cin: number, cout: number, sx: number): void;
  q8_quantize(x: number, xq: number, h: number, w: number, c: number, pad: number, inv: number, row0: number, row1: number): void;
}

export function int8Exports(exports: WebAssembly.Exports): Int8Exports | null {
  const names = ['q8_conv', 'q8_filter_size', 'q8_pack_filter', 'q8_quantize'] as const;
  return names.every((n) => typeof exports[n] === 'function') ? (exports as unknown as Int8Exports) : null;
}

/** What a convolution call must be for the int8 kernel: every input channel count it vectorises. */
export function int8Eligible(cin: number, pads: readonly number[], strideH: number, strideW: number): boolean {
  // q8_quantize converts 16 channels per step; q8_conv reads 4 at a time.
  return cin % 16 === 0 && pads.every((p) => p === pads[0]) && strideH === strideW;
}

/**
 * 1 / scale as the kernels use it: a double division rounded to float32, exactly what
 * training/export/int8.py computes (`f32(1.0 / scale)`).
 */
export function inverseScale(scale: number): number {
  return Math.fround(1 / scale);
}

/** The int8 input scales of a model's Conv2D layers, by layer name, if its pack allows int8. */
export type Int8Scales = ReadonlyMap<string, number>;

/**
 * Runs one small int8 convolution (3×3, padding 1, negative weights) on the heap and compares it
 * bit for bit with the JavaScript reference. An engine whose relaxed 8-bit dot product does not
 * follow the instruction's definition for these operands fails it, and its models stay in float32
 * (Node 20's baseline compiler got i32x4.relaxed_dot_i8x16_i7x16_add_s wrong for negative weights;
 * the kernels no longer use it, but an engine may have similar bugs in the one they use).
 */
export function int8SelfCheck(
  q8: Int8Exports,
  memory: WebAssembly.Memory,
  malloc: (bytes: number) => number,
  free: (ptr: number) => void,
): boolean {
  const shape = { h: 3, w: 3, cin: 16, kh: 3, kw: 3, cout: 8, stride: 1, pad: 1, relu: false };
  const x = Float32Array.from({ length: 3 * 3 * 16 }, (_, i) => ((i * 37) % 11) * 0.31);
  const filter = Float32Array.from({ length: 9 * 16 * 8 }, (_, i) => (((i * 53) % 19) - 9) / 23);
  const bias = Float32Array.from({ length: 8 }, (_, i) => i / 8 - 0.5);
  const scale = Math.fround(2 / 127);
  const want = int8ConvReference(x, filter, bias, scale, shape);
  const sizes = [x.length * 4, filter.length * 4, 32, q8.q8_filter_size(3, 3, 16, 8), 5 * 5 * 16, want.length * 4];
  const ptrs = sizes.map((bytes) => malloc(bytes));
  try {
    if (ptrs.some((p) => !p)) return false;
    const [px, pf, pb, pq, pxq, py] = ptrs as [number, number, number, number, number, number];
    new Float32Array(memory.buffer, px, x.length).set(x);
    new Float32Array(memory.buffer, pf, filter.length).set(filter);
    new Float32Array(memory.buffer, pb, 8).set(bias);
    q8.q8_pack_filter(pf, pq, 3, 3, 16, 8, scale);
    q8.q8_quantize(px, pxq, 3, 3, 16, 1, inverseScale(scale), 0, 5);
    q8.q8_conv(pxq, pq, pb, py, 5, 16, 3, 3, 1, 3, 8, 0, 0, 9, 0, 1);
    const got = new Float32Array(memory.buffer, py, want.length);
    return want.every((v, i) => Object.is(v, got[i]));
  } finally {
    for (const p of ptrs) if (p) free(p);
  }
}
