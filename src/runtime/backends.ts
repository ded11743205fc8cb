/**
 * Chooses the tfjs backend. A backend is trusted only after `tf.setBackend` succeeded AND a small
 * convolution on it matched a value computed in plain JavaScript: some GPUs/drivers initialise fine
 * and then return zeros or NaN, and a wrong heatmap is worse than a slow one. Every backend that is
 * passed over is reported with the reason, so the UI (and a bug report) can say why.
 */

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { errorText, RuntimeError } from './errors';
import { BACKENDS, type BackendChoice, type BackendName, type SkippedBackend } from './protocol';

/** URLs of the three tfjs-backend-wasm binaries, keyed by file name (see wasm-assets.ts). */
export type WasmPaths = Record<
  'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm',
  string
>;

export interface BackendOptions {
  /** Where the app serves the wasm binaries. Unset in Node, where the package finds its own files. */
  wasmPaths?: WasmPaths;
  /**
   * Threads for the wasm backend on a cross-origin-isolated page (default: every core the browser
   * reports). 1, or a page that is not cross-origin isolated, runs single-threaded.
   */
  wasmThreads?: number;
  /**
   * The app's convolution kernels (conv/convolution.ts) bring their own thread pool: tfjs's
   * XNNPACK pool is then kept to one thread (still the threaded build, for its shared heap), so
   * the two pools never compete for the same cores.
   */
  ownConvolutionPool?: boolean;
}

export interface BackendSelection {
  backend: BackendName;
  skipped: SkippedBackend[];
}

let wasmConfigured = false;
let wasmStarted = false;

/** True where SharedArrayBuffer may be shared with workers (COOP/COEP sent by the host). */
export function isCrossOriginIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** Threads the wasm backend should use here, or 1 (single-threaded build). */
export function wantedWasmThreads(opts: BackendOptions): number {
  if (!isCrossOriginIsolated()) return 1;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  // tfjs pre-creates 8 pthread workers: the most its pool can use.
  return Math.max(1, Math.min(8, Math.floor(opts.wasmThreads ?? cores)));
}

/** Must run before the wasm backend first initialises; tfjs refuses new paths afterwards. */
function configureWasm(opts: BackendOptions): void {
  if (wasmConfigured) return;
  wasmConfigured = true;
  if (opts.wasmPaths) setWasmPaths(opts.wasmPaths);
  // Threads (XNNPACK's pool on wasm pthreads) need SharedArrayBuffer, which browsers grant only to a
  // cross-origin-isolated page. Elsewhere (a static host that cannot send COOP/COEP) the backend
  // runs the single-threaded SIMD build. The threaded build starts its pthread workers from the
  // stringified emscripten factory, so the worker bundle must keep that function self-contained:
  // vite.config.ts builds the inference worker with whitespace-only minification.
  const threads = wantedWasmThreads(opts);
  if (threads <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  else setThreadsCount(opts.ownConvolutionPool ? 1 : threads);
}

/**
 * tfjs-backend-wasm 4.22 caps its pool at navigator.hardwareConcurrency / 2 (it assumes two
 * hyper-threads per core), read once while the module starts: on a 2-core machine that is one
 * thread, i.e. no threading at all. While the wasm backend initialises, the worker's navigator
 * reports twice the wanted thread count, so the cap becomes exactly what `setThreadsCount` asked
 * for; the real value is restored right after. Returns the function that restores it.
 */
function reportCoresForWasm(threads: number): () => void {
  const nav = (globalThis as { navigator?: object }).navigator;
  if (!nav || threads <= 1) return () => undefined;
  try {
    Object.defineProperty(nav, 'hardwareConcurrency', { value: threads * 2, configurable: true });
  } catch {
    return () => undefined;
  }
  return () => {
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  };
}

/** Size of the wasm backend's heap (weights, activations, kernel copies); null off wasm. */
export function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const module = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return module?.HEAPU8?.buffer.byteLength ?? null;
}

/** Threads the wasm backend runs with (1 when single-threaded); null before it has initialised. */
export function wasmThreadCount(): number | null {
  try {
    return Math.max(1, getThreadsCount());
  } catch {
    return null;
  }
}

/** Reasons a backend cannot work here, found without initialising it (cheap, no side effects). */
function precondition(name: BackendName): string | null {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (name === 'webgpu' && !nav?.gpu) return 'navigator.gpu missing (this browser does not offer WebGPU)';
  if (name === 'webgl' && typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') {
    return 'no canvas or OffscreenCanvas in this context';
  }
  if (name === 'wasm' && typeof WebAssembly === 'undefined') return 'WebAssembly missing';
  if (!tf.findBackendFactory(name)) return `tfjs has no ${name} backend registered in this context`;
  return null;
}

// Smoke test: a 3×3 convolution with bias and ReLU on a 5×5×2 input (values chosen to give a mix
// of positive and negative pre-activations), checked against the same sum done in JavaScript.
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

/** Tries to make `name` the active backend; returns why it is unusable, or null on success. */
export async function tryBackend(name: BackendName, opts: BackendOptions = {}): Promise<string | null> {
  const unmet = precondition(name);
  if (unmet) return unmet;
  if (name === 'wasm') configureWasm(opts);
  // The module starts (and reads the core count) once, on the first wasm setBackend.
  const restoreCores =
    name === 'wasm' && !wasmStarted && !opts.ownConvolutionPool ? reportCoresForWasm(wantedWasmThreads(opts)) : null;
  if (name === 'wasm') wasmStarted = true;
  try {
    if (name === 'webgpu') {
      const gpu = (navigator as unknown as { gpu: { requestAdapter(): Promise<unknown> } }).gpu;
      if (!(await gpu.requestAdapter())) return 'navigator.gpu.requestAdapter() returned no adapter';
    }
    if (!(await tf.setBackend(name))) return 'setBackend returned false (initialisation failed)';
    await tf.ready();
    restoreCores?.();
    return await smokeTest();
  } catch (e) {
    return `exception: ${errorText(e)}`;
  } finally {
    restoreCores?.();
  }
}

/**
 * Activates the first working backend of `candidates` (default: webgpu → webgl → wasm → cpu, or
 * only the forced one). Throws `RuntimeError('no-backend')` listing every reason if none works.
 */
export async function selectBackend(
  choice: BackendChoice,
  opts: BackendOptions = {},
  candidates: readonly BackendName[] = choice === 'auto' ? BACKENDS : [choice],
): Promise<BackendSelection> {
  const skipped: SkippedBackend[] = [];
  for (const backend of candidates) {
    const reason = await tryBackend(backend, opts);
    if (reason === null) return { backend, skipped };
    skipped.push({ backend, reason });
  }
  const reasons = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  const message =
    choice === 'auto'
      ? `No compute backend works on this device (${reasons}).`
      : `The ${choice} backend does not work on this device (${reasons}). Choose "auto" to use another backend.`;
  throw new RuntimeError('no-backend', message);
}

/** The backends that come after `current` in the preferred order: where to go when it fails. */
export function backendsAfter(current: BackendName): BackendName[] {
  return BACKENDS.slice(BACKENDS.indexOf(current) + 1);
}

/**
 * Calls `onLost` if the active backend's GPU device goes away (WebGPU `device.lost`: driver reset,
 * GPU removed, tab backgrounded too long on some systems).
 */
export function watchDeviceLoss(backend: BackendName, onLost: (reason: string) => void): void {
  if (backend !== 'webgpu') return;
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ reason?: string; message?: string }> } }).device;
  void device?.lost?.then((info) =>
    onLost(`WebGPU device lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''})`),
  );
}
