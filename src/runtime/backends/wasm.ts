/**
 * WebAssembly (@tensorflow/tfjs-backend-wasm): multi-threaded with SIMD on a cross-origin-isolated
 * page, single-threaded with SIMD elsewhere. On top of tfjs's XNNPACK it runs the app's own
 * convolution kernels when they install (wasm-kernels.ts).
 */

import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { smokeTest } from './smoke';
import { noLossSignal, startTfBackend, unregistered, type BackendHost, type BackendStrategy } from './strategy';

// tfjs has one wasm module per thread of JavaScript: configured once, started once.
let configured = false;
let started = false;

/** True where SharedArrayBuffer may be shared with workers (COOP/COEP sent by the host). */
export function isCrossOriginIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/** Threads the wasm backend should use here, or 1 (single-threaded build). */
export function wantedWasmThreads(requested?: number): number {
  if (!isCrossOriginIsolated()) return 1;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  // tfjs pre-creates 8 pthread workers: the most its pool can use.
  return Math.max(1, Math.min(8, Math.floor(requested ?? cores)));
}

/** Threads the wasm backend runs with (1 when single-threaded); null before it has initialised. */
export function wasmThreadCount(): number | null {
  try {
    return Math.max(1, getThreadsCount());
  } catch {
    return null;
  }
}

/** Must run before the wasm backend first initialises; tfjs refuses new paths afterwards. */
function configureOnce(host: BackendHost): void {
  if (configured) return;
  configured = true;
  if (host.wasmPaths) setWasmPaths(host.wasmPaths);
  // Threads (XNNPACK's pool on wasm pthreads) need SharedArrayBuffer, which browsers grant only to a
  // cross-origin-isolated page. Elsewhere (a static host that cannot send COOP/COEP) the backend
  // runs the single-threaded SIMD build. The threaded build starts its pthread workers from the
  // stringified emscripten factory, so the worker bundle must keep that function self-contained:
  // vite.config.ts builds the inference worker with whitespace-only minification.
  const threads = wantedWasmThreads(host.wasmThreads);
  if (threads <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  else setThreadsCount(host.kernels.ownsThreads ? 1 : threads);
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

export const wasmStrategy: BackendStrategy = {
  id: 'wasm',
  precondition: () => (typeof WebAssembly === 'undefined' ? 'WebAssembly missing' : unregistered('wasm')),
  async configure(host) {
    configureOnce(host);
    // The module starts (and reads the core count) once, on the first wasm setBackend.
    const restoreCores = !started && !host.kernels.ownsThreads ? reportCoresForWasm(wantedWasmThreads(host.wasmThreads)) : null;
    started = true;
    try {
      return await startTfBackend('wasm');
    } finally {
      restoreCores?.();
    }
  },
  smokeTest,
  watchLoss: noLossSignal,
  attach: (host) => host.kernels.install(wantedWasmThreads(host.wasmThreads)),
  detach: (host) => host.kernels.detach(),
  details(host) {
    const kernels = host.kernels.status;
    return {
      wasmThreads: Math.max(kernels?.convolutions === 'lymphscope' ? kernels.threads : 1, wasmThreadCount() ?? 1),
      ...(kernels ? { wasmKernels: kernels } : {}),
    };
  },
  /** The backend's whole heap (weights, activations, kernel copies): tfjs's byte count does not cover it. */
  heapBytes() {
    if (tf.getBackend() !== 'wasm') return null;
    const module = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
    return module?.HEAPU8?.buffer.byteLength ?? null;
  },
};
