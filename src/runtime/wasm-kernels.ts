/**
 * Installs the app's own convolution kernels (conv/) on the wasm backend and keeps track of which
 * kernels run. The kernel build is compiled before the wasm backend first starts: if it cannot be
 * loaded, tfjs's XNNPACK keeps its own thread pool instead of the single thread it gets when the
 * app's pool takes over. That choice holds for the worker's life (tfjs sets its threads once).
 * Any failure leaves XNNPACK doing every convolution, with the same results.
 */

import type * as tf from '@tensorflow/tfjs';
import type { WasmKernelHost } from './backends/strategy';
import { wantedWasmThreads, wasmThreadCount } from './backends/wasm';
import {
  kernelBinaryFor,
  kernelSimdFor,
  WasmConvolution,
  type ConvolutionOptions,
  type ConvolutionSource,
} from './conv/convolution';
import { errorText } from './errors';
import type { WasmKernels } from './protocol';

export class WasmKernelInstaller implements WasmKernelHost {
  private own: boolean;
  private checked = false;
  private compiled: ConvolutionOptions['compiled'];
  private unavailable: string | null = null;
  /** The installed kernels while the wasm backend is the one models are built on. */
  private conv: WasmConvolution | null = null;
  private current: WasmKernels | undefined;

  /**
   * @param source where the kernel builds come from; without one XNNPACK does every convolution.
   * @param enabled false keeps XNNPACK (the benchmark's `convKernels: false`).
   * @param wasmThreads the host's cap on wasm threads.
   * @param relaxedSimd false keeps the SIMD128 build where Relaxed SIMD would run (the benchmark's `relaxedSimd: false`).
   */
  constructor(
    private readonly source: ConvolutionSource | undefined,
    enabled: boolean,
    private readonly wasmThreads?: number,
    private readonly relaxedSimd = true,
  ) {
    this.own = !!source && enabled;
  }

  get ownsThreads(): boolean {
    return this.own;
  }

  get status(): WasmKernels | undefined {
    return this.current;
  }

  /** Compiles the kernel build the wasm backend will need (once; a no-op without kernels). */
  async check(): Promise<void> {
    if (this.checked || !this.own || !this.source) return;
    this.checked = true;
    const binary = kernelBinaryFor(wantedWasmThreads(this.wasmThreads) > 1, kernelSimdFor(this.relaxedSimd));
    try {
      this.compiled = { binary, module: await WebAssembly.compile(await this.source.load(binary)) };
    } catch (e) {
      this.own = false;
      this.unavailable = errorText(e);
    }
  }

  async install(wanted: number): Promise<void> {
    if (!this.source || !this.own) {
      this.conv = null;
      this.current = {
        convolutions: 'xnnpack',
        threads: wasmThreadCount() ?? 1,
        ...(this.unavailable ? { note: `the app's kernels are unavailable: ${this.unavailable}` } : {}),
      };
      return;
    }
    try {
      this.conv = await WasmConvolution.install({
        ...this.source,
        threads: wanted,
        compiled: this.compiled,
        relaxedSimd: this.relaxedSimd,
      });
      const { threads, simd, singleThreadReason } = this.conv.status;
      this.current = {
        convolutions: 'lymphscope',
        threads,
        simd,
        ...(singleThreadReason && wanted > 1 ? { note: singleThreadReason } : {}),
      };
    } catch (e) {
      this.conv = null;
      this.current = { convolutions: 'xnnpack', threads: 1, note: `the app's kernels are unavailable: ${errorText(e)}` };
    }
  }

  detach(): void {
    this.conv = null;
  }

  /** Lets the kernels take `model`'s convolutions (built on the active wasm backend). */
  prepare(model: tf.LayersModel): void {
    this.conv?.prepare(model);
  }

  /** Frees the kernel-order filter copies of `model`. */
  release(model: tf.LayersModel): void {
    this.conv?.release(model);
  }
}
