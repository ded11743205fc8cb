/**
 * The inference worker: a thin shell that feeds messages to the request handler. Create it with
 * `createInferenceWorker()` from ./client (Vite bundles this file as a module worker).
 */

import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { RuntimeTuning } from './engine';
import kernelsPlain from './conv/kernels.wasm?url';
import kernelsThreads from './conv/kernels-threads.wasm?url';
import { createRequestHandler } from './worker-handler';
import { resolvePackUrl } from '../model-pack/pack-url';
import { checkedOfflineCopy } from '../pwa/offline-copy';

/**
 * The benchmark switches optimisations off one at a time by naming the worker
 * `lymphscope-inference#{"fuseConvRelu":false}` (see bench/README.md). The app's worker name has
 * no `#`, so it always runs with every optimisation on.
 */
function tuningFromName(name: string): RuntimeTuning & { wasmThreads?: number; parallelPackLoad?: boolean } {
  const at = name.indexOf('#');
  if (at < 0) return {};
  try {
    const parsed = JSON.parse(name.slice(at + 1)) as Record<string, unknown>;
    const tuning: RuntimeTuning & { wasmThreads?: number; parallelPackLoad?: boolean } = {};
    const keys = [
      'fuseConvRelu',
      'closedFormGradCam',
      'warmAllModels',
      'backgroundWarmUp',
      'parallelPackLoad',
      'convKernels',
    ] as const;
    for (const key of keys) {
      if (typeof parsed[key] === 'boolean') tuning[key] = parsed[key];
    }
    if (typeof parsed.wasmThreads === 'number') tuning.wasmThreads = parsed.wasmThreads;
    return tuning;
  } catch {
    return {};
  }
}

// The wasm binaries are served by the app itself (no CDN): the app must work offline and send
// nothing anywhere.
const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
};

const kernelUrls = { 'kernels.wasm': kernelsPlain, 'kernels-threads.wasm': kernelsThreads };

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = createRequestHandler((message, transfer) => scope.postMessage(message, transfer ?? []), {
  wasmPaths,
  // Every pack download obeys the pack address rule (model-pack/pack-url.ts), whatever the index said.
  fetchFn: async (url) => checkedOfflineCopy(await fetch(resolvePackUrl(url, scope.location.href))),
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
  // The app warms the models init left cold in idle time (engine.ts, RuntimeTuning).
  tuning: { backgroundWarmUp: true, ...tuningFromName(scope.name) },
});
scope.addEventListener('message', (event: MessageEvent<unknown>) => void handle(event.data));
