/**
 * What the runtime needs to know about one tfjs backend. Each backend is one strategy object
 * (webgpu.ts, webgl.ts, wasm.ts, cpu.ts) registered in registry.ts; the supervisor
 * (supervisor.ts) runs them in order and never asks for a backend by name.
 */

import * as tf from '@tensorflow/tfjs';
import type { BackendId } from '../../domain';
import type { WasmKernels, WebGpuKernels } from '../protocol';

/** URLs of the three tfjs-backend-wasm binaries, keyed by file name (worker-host.ts serves them). */
export type WasmPaths = Record<
  'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm',
  string
>;

/** The app's own wasm convolution kernels, as the wasm strategy sees them (wasm-kernels.ts). */
export interface WasmKernelHost {
  /**
   * True when the app's kernels will bring their own thread pool: tfjs's XNNPACK pool is then kept
   * to one thread (still the threaded build, for its shared heap), so the two pools never compete
   * for the same cores. Settled before the wasm backend first starts.
   */
  readonly ownsThreads: boolean;
  /** Installs the kernels on the active wasm backend (any failure leaves XNNPACK doing everything). */
  install(wantedThreads: number): Promise<void>;
  /** Stops preparing models for the kernels: another backend took over. */
  detach(): void;
  /** Which kernels run the convolutions, on how many threads; undefined before `install`. */
  readonly status: WasmKernels | undefined;
}

/** The app's own WebGPU convolution kernels, as the webgpu strategy sees them (webgpu-kernels.ts). */
export interface WebGpuKernelHost {
  /** Before the backend first starts: asks for a device with `shader-f16` when the f16 kernels are wanted. */
  prepareDevice(): void;
  /**
   * Installs the kernels on the active webgpu backend after they checked themselves on this device
   * (any failure leaves tfjs's kernels doing everything).
   */
  install(): Promise<void>;
  /** Restores tfjs's kernels: another backend took over. */
  detach(): void;
  /** Which kernels run the convolutions; undefined before `install`. */
  readonly status: WebGpuKernels | undefined;
}

/** What the engine gives the strategies: the host's settings and the app's kernels. */
export interface BackendHost {
  /** Where the app serves the wasm binaries. Unset in Node, where the package finds its own files. */
  wasmPaths?: WasmPaths;
  /**
   * Threads for the wasm backend on a cross-origin-isolated page (default: every core the browser
   * reports). 1, or a page that is not cross-origin isolated, runs single-threaded.
   */
  wasmThreads?: number;
  kernels: WasmKernelHost;
  /** The app's WebGPU kernels; absent: tfjs's own everywhere. */
  gpuKernels?: WebGpuKernelHost;
}

/** What `ready` reports about the active backend beyond its name. */
export interface BackendDetails {
  wasmThreads?: number;
  wasmKernels?: WasmKernels;
  webgpuKernels?: WebGpuKernels;
}

/** What a cheap look at a GPU backend's device says, before anything runs on it (choice.ts). */
export interface BackendProbe {
  /** true: a software rasteriser (SwiftShader, llvmpipe…); false: a real GPU; null: cannot tell. */
  software: boolean | null;
  /** What the answer is based on (adapter info, renderer string), for the decision's notes. */
  detail: string;
}

export interface BackendStrategy {
  readonly id: BackendId;
  /**
   * True for a backend that runs on a GPU: automatic choice checks these for a software device
   * (`probe`) and, when unsure, times them against the first CPU backend (choice.ts).
   */
  readonly gpu?: boolean;
  /** Looks at the device behind the backend without making it tfjs's backend; never throws. */
  probe?(): Promise<BackendProbe>;
  /** Why the backend cannot work in this context, found without starting it (cheap, no side effects); null if it may. */
  precondition(): string | null;
  /**
   * Configures the backend and makes it tfjs's active one (`startTfBackend`). Returns why it could
   * not, or null. May throw; the supervisor reports the exception as the reason.
   */
  configure(host: BackendHost): Promise<string | null>;
  /** Checks that the active backend computes correctly: null, or what was wrong. */
  smokeTest(): Promise<string | null>;
  /** Calls `onLost` if the device behind the active backend goes away (a GPU reset, for one). */
  watchLoss(onLost: (reason: string) => void): void;
  /** tfjs flag that makes the backend compile kernels without running them (parallel shader compilation at warm-up). */
  readonly compileOnlyFlag?: string;
  /** Called once the backend passed its smoke test, before models are built on it (wasm: the app's kernels). */
  attach?(host: BackendHost): Promise<void>;
  /** Called when another backend takes over from this one. */
  detach?(host: BackendHost): void;
  /** Reported in `ready` while this backend is active. */
  details?(host: BackendHost): BackendDetails;
  /** The backend's own memory that tfjs's byte count does not cover (wasm: its whole heap); null if none. */
  heapBytes?(): number | null;
}

/** `tf.setBackend` + `tf.ready`: null when `id` is active afterwards, else why not. */
export async function startTfBackend(id: BackendId): Promise<string | null> {
  if (!(await tf.setBackend(id))) return 'setBackend returned false (initialisation failed)';
  await tf.ready();
  return null;
}

/** Reports a backend tfjs cannot create in this context (its package is not loaded, or refused). */
export function unregistered(id: BackendId): string | null {
  return tf.findBackendFactory(id) ? null : `tfjs has no ${id} backend registered in this context`;
}

/** No device to lose (the backend runs on the CPU, or the loss is seen as a failing analysis). */
export function noLossSignal(): void {}

/**
 * Device names of software rasterisers: SwiftShader (Chrome without a usable GPU), llvmpipe,
 * softpipe and lavapipe (Mesa), Microsoft Basic Render Driver / WARP (Windows without a driver,
 * typical of a virtual desktop).
 */
const SOFTWARE_DEVICE = /swiftshader|llvmpipe|softpipe|lavapipe|basic render|\bwarp\b/i;

/** True when a device name says software rasteriser. */
export function namesSoftwareDevice(name: string): boolean {
  return SOFTWARE_DEVICE.test(name);
}
