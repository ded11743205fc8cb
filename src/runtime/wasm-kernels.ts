/**
 * Installs the app's own convolution kernels (conv/) on the wasm backend and keeps track of which
 * kernels run. The kernel build is compiled before the wasm backend first starts: if it cannot be
 * loaded, tfjs's XNNPACK keeps its own thread pool instead of the single thread it gets when the
 * app's pool takes over. That choice holds for the worker's life (tfjs sets its threads once).
 * Any failure leaves XNNPACK doing every convolution, with the same results.
 */

import type * as tf from '@tensorflow/tfjs';
import type { Modality, ModalitySpec } from '../model-pack';
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
  /** Modalities whose models run int8 convolutions, by model. */
  private readonly int8Models = new Map<tf.LayersModel, Modality>();

  /**
   * @param source where the kernel builds come from; without one XNNPACK does every convolution.
   * @param enabled false keeps XNNPACK (the benchmark's `convKernels: false`).
   * @param wasmThreads the host's cap on wasm threads.
   * @param relaxedSimd false keeps the SIMD128 build where Relaxed SIMD would run (the benchmark's `relaxedSimd: false`).
   * @param int8 false keeps float32 convolutions where the pack allows int8 (the benchmark's `int8Compute: false`).
   */
  constructor(
    private readonly source: ConvolutionSource | undefined,
    enabled: boolean,
    private readonly wasmThreads?: number,
    private readonly relaxedSimd = true,
    private readonly int8 = true,
  ) {
    this.own = !!source && enabled;
  }

  get ownsThreads(): boolean {
    return this.own;
  }

  get status(): WasmKernels | undefined {
    if (!this.current || this.current.convolutions !== 'lymphscope') return this.current;
    const int8 = [...new Set(this.int8Models.values())].sort();
    return { ...this.current, int8 };
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
        int8: this.int8,
      });
      const { threads, simd, singleThreadReason, int8Reason } = this.conv.status;
      const notes = [singleThreadReason && wanted > 1 ? singleThreadReason : '', int8Reason ?? ''].filter(Boolean);
      this.current = {
        convolutions: 'lymphscope',
        threads,
        simd,
        ...(notes.length ? { note: notes.join('; ') } : {}),
      };
    } catch (e) {
      this.conv = null;
      this.current = { convolutions: 'xnnpack', threads: 1, note: `the app's kernels are unavailable: ${errorText(e)}` };
    }
  }

  detach(): void {
    this.conv = null;
    this.int8Models.clear();
  }

  /**
   * Lets the kernels take `model`'s convolutions (built on the active wasm backend), in int8 where
   * the pack allows it for `modality` (`int8Compute.allowed`) and this build has the int8 kernels.
   */
  prepare(model: tf.LayersModel, modality?: Modality, spec?: ModalitySpec): void {
    const int8 = spec?.int8Compute?.allowed ? new Map(Object.entries(spec.int8Compute.inputScales)) : undefined;
    const layers = this.conv?.prepare(model, int8) ?? 0;
    if (layers > 0 && modality) this.int8Models.set(model, modality);
  }

  /** Frees the kernel-order filter copies of `model`. */
  release(model: tf.LayersModel): void {
    this.conv?.release(model);
    this.int8Models.delete(model);
  }
}
