/**
 * What both worker entries (worker.ts for the app, bench-worker.ts for the benchmark) give the
 * request handler: the wasm binaries' URLs and the app's convolution kernels with their helper
 * threads, all served by the app itself (no CDN: the app must work offline and send nothing
 * anywhere). Vite turns the `?url` imports and the `new Worker(new URL(...))` into bundled files.
 */

/// <reference types="vite/client" />
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import kernelsPlain from './conv/kernels.wasm?url';
import kernelsThreads from './conv/kernels-threads.wasm?url';
import kernelsRelaxed from './conv/kernels-relaxed.wasm?url';
import kernelsRelaxedThreads from './conv/kernels-relaxed-threads.wasm?url';
import { createRequestHandler, type HandlerOptions } from './worker-handler';
import type { RuntimeTuning } from './tuning';

import { checkedOfflineCopy, fetchLocalPack, resolvePackUrl } from '../model-pack';

const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
};

const kernelUrls = {
  'kernels.wasm': kernelsPlain,
  'kernels-threads.wasm': kernelsThreads,
  'kernels-relaxed.wasm': kernelsRelaxed,
  'kernels-relaxed-threads.wasm': kernelsRelaxedThreads,
};

const hostOptions: HandlerOptions = {
  wasmPaths,
  // Every pack download obeys the pack address rule (model-pack/pack-url.ts), whatever the index said.
  // Packs stored on this device (`models/local/<id>/`, model-pack/local-store.ts) are read from
  // IndexedDB; the loader checks them as it checks any pack.
  fetchFn: async (url) => {
    const checked = resolvePackUrl(url, self.location.href);
    return (await fetchLocalPack(checked)) ?? checkedOfflineCopy(await fetch(checked));
  },
  convolution: {
    load: async (binary) => {
      const response = await fetch(kernelUrls[binary]);
      if (!response.ok) throw new Error(`${binary}: HTTP ${response.status}`);
      return response.arrayBuffer();
    },
    spawnHelper: () =>
      new Worker(new URL('./conv/helper-worker.ts', import.meta.url), {
        type: 'module',
        name: 'lymphscope-convolution-helper',
      }),
  },
};

/** The part of the worker's global scope the entries use (typed here so Node's type check reads this file too). */
interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
}

export const workerScope = self as unknown as WorkerScope;

/** The request handler of this worker, posting its responses back to the page. */
export function createWorkerHandler(
  tuning: RuntimeTuning,
  choiceMemory?: HandlerOptions['choiceMemory'],
): (data: unknown) => Promise<void> {
  return createRequestHandler((message, transfer) => workerScope.postMessage(message, transfer ?? []), {
    ...hostOptions,
    tuning,
    choiceMemory,
  });
}
