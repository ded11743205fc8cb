/**
 * The four builds of the kernels (scripts/build-kernels.mjs) and which one this engine runs:
 * Relaxed SIMD (fused multiply-add and the int8 dot product) where WebAssembly.validate accepts it,
 * else 128-bit SIMD; each for a plain or a shared (threaded tfjs) heap.
 */
export type KernelBinary = 'kernels.wasm' | 'kernels-threads.wasm' | 'kernels-relaxed.wasm' | 'kernels-relaxed-threads.wasm';

/** Which instruction set the kernels were built for: 128-bit SIMD, or Relaxed SIMD (fused multiply-add). */
export type KernelSimd = 'relaxed' | 'simd128';

/** The build for a tfjs heap that is shared (threaded tfjs) or not, with or without Relaxed SIMD. */
export function kernelBinaryFor(sharedHeap: boolean, simd: KernelSimd = 'simd128'): KernelBinary {
  if (simd === 'relaxed') return sharedHeap ? 'kernels-relaxed-threads.wasm' : 'kernels-relaxed.wasm';
  return sharedHeap ? 'kernels-threads.wasm' : 'kernels.wasm';
}

/**
 * The smallest module that uses Relaxed SIMD: one function (v128, v128, v128) → v128 returning
 * f32x4.relaxed_madd of its parameters. An engine that validates it runs the relaxed builds.
 */
// prettier-ignore
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) → v128
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, // code: one body of 11 bytes, no locals
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, // local.get 0, 1, 2
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0xfd 0x105)
  0x0b, // end
]);

/** Whether this engine runs Relaxed SIMD (Chromium has since 114; detected, never inferred from a version). */
export function relaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/** The instruction set to load: Relaxed SIMD where the engine has it and it is not switched off. */
export function kernelSimdFor(relaxedSimd = true): KernelSimd {
  return relaxedSimd && relaxedSimdSupported() ? 'relaxed' : 'simd128';
}
