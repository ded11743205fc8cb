/**
 * The inference worker: a thin shell that feeds messages to the request handler. Create it with
 * `createInferenceWorker()` from ./client (Vite bundles this file as a module worker).
 */

import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { createRequestHandler } from './worker-handler';

// The wasm binaries are served by the app itself (no CDN): the app must work offline and send
// nothing anywhere.
const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
};

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = createRequestHandler((message, transfer) => scope.postMessage(message, transfer ?? []), { wasmPaths });
scope.addEventListener('message', (event: MessageEvent<unknown>) => void handle(event.data));
