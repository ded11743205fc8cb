/**
 * Speed switches, all on by default. They exist so the benchmark can measure what each one gains
 * (bench/README.md); the app's worker (worker.ts) runs `APP_TUNING`, and only the benchmark's own
 * worker entry (bench-worker.ts) accepts others. No tfjs here: the bench page validates with it too.
 */

export interface RuntimeTuning {
  /** Fold each Conv2D → ReLU pair into one fused convolution (optimise.ts). */
  fuseConvRelu?: boolean;
  /** Closed-form Grad-CAM when the model ends in GlobalAveragePooling2D → Dense (gradcam.ts). */
  closedFormGradCam?: boolean;
  /**
   * Warm up every model at init (true), or only what needs it (false, default): GPU backends
   * compile shaders and run every model; wasm and cpu have nothing to compile, so init runs the
   * first model only, or none when `backgroundWarmUp` warms them all after init.
   */
  warmAllModels?: boolean;
  /**
   * After init, warm the models the init warm-up left out, one at a time, whenever no request is
   * waiting (default false in the engine; the app turns it on). A clinician's first
   * three-modality analysis then runs on warm models without init having waited for them.
   */
  backgroundWarmUp?: boolean;
  /**
   * On wasm, the app's own convolution kernels (conv/convolution.ts: Winograd for 3×3 stride 1,
   * direct otherwise) and thread pool instead of tfjs's XNNPACK, when the host supplies them.
   */
  convKernels?: boolean;
  /** On wasm, the app's kernels built for Relaxed SIMD (fused multiply-add) where the engine validates it. */
  relaxedSimd?: boolean;
  /**
   * On webgpu, the app's own convolution kernels (webgpu-conv/: implicit GEMM, bias + ReLU fused,
   * pipelines created asynchronously) instead of tfjs's.
   */
  webgpuConvKernels?: boolean;
  /**
   * On webgpu with the app's kernels, the f16 variant (f16 operands, f32 sums) where the adapter has
   * `shader-f16`. Off unless asked (default false): its logit error on a real pack and GPU has not
   * been measured yet (bench/gpu/run-device.sh measures it).
   */
  webgpuF16?: boolean;
  /**
   * On wasm with Relaxed SIMD, int8 convolutions for the modalities whose pack allows them
   * (`int8Compute`, conv/int8.ts); false keeps every convolution in float32 (the benchmark's A/B).
   */
  int8Compute?: boolean;
  /** Download and verify the pack's models concurrently (worker-handler.ts) instead of in turn. */
  parallelPackLoad?: boolean;
  /** Caps the wasm backend's threads (default: every core the browser reports). */
  wasmThreads?: number;
}

/** What the app's worker runs: every optimisation on, and the models left cold at init warmed in idle time. */
export const APP_TUNING: Readonly<RuntimeTuning> = { backgroundWarmUp: true };

const SWITCHES = [
  'fuseConvRelu',
  'closedFormGradCam',
  'warmAllModels',
  'backgroundWarmUp',
  'convKernels',
  'relaxedSimd',
  'webgpuConvKernels',
  'webgpuF16',
  'int8Compute',
  'parallelPackLoad',
] as const;

/**
 * Reads tuning from outside data (the benchmark's message), strictly: an unknown key or a value of
 * the wrong type is an error naming it, never silently ignored (an ablation that does not apply
 * would measure nothing).
 */
export function parseTuning(v: unknown): RuntimeTuning {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError('tuning: expected an object');
  const tuning: RuntimeTuning = {};
  for (const [key, value] of Object.entries(v)) {
    if ((SWITCHES as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean') throw new TypeError(`tuning.${key}: expected true or false, got ${JSON.stringify(value)}`);
      tuning[key as (typeof SWITCHES)[number]] = value;
    } else if (key === 'wasmThreads') {
      if (!Number.isInteger(value) || (value as number) < 1) {
        throw new TypeError(`tuning.wasmThreads: expected a whole number ≥ 1, got ${JSON.stringify(value)}`);
      }
      tuning.wasmThreads = value as number;
    } else {
      throw new TypeError(`tuning.${key}: unknown switch (known: ${[...SWITCHES, 'wasmThreads'].join(', ')})`);
    }
  }
  return tuning;
}

/** The first message the benchmark's worker (bench-worker.ts) expects, before any request. */
export interface TuningMessage {
  type: 'tuning';
  tuning: RuntimeTuning;
}
