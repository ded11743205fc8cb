/**
 * Every backend the runtime can use, one strategy object each. Adding a backend: write its
 * strategy file and register it here (its id comes from `BACKEND_IDS` in src/domain, whose order
 * is the order automatic choice tries them).
 */

import { BACKEND_IDS, type BackendId } from '../../domain';
import { cpuStrategy } from './cpu';
import type { BackendStrategy } from './strategy';
import { wasmStrategy } from './wasm';
import { webglStrategy } from './webgl';
import { webgpuStrategy } from './webgpu';

const REGISTERED: { readonly [id in BackendId]: BackendStrategy } = {
  webgpu: webgpuStrategy,
  webgl: webglStrategy,
  wasm: wasmStrategy,
  cpu: cpuStrategy,
};

/** The strategies in the order automatic choice tries them: webgpu → webgl → wasm → cpu. */
export const STRATEGIES: readonly BackendStrategy[] = BACKEND_IDS.map((id) => REGISTERED[id]);
