/**
 * Installs the app's own WebGPU convolution kernels (webgpu-conv/) on the webgpu backend and keeps
 * track of which kernels run, as wasm-kernels.ts does for the wasm backend. Any failure leaves
 * tfjs's kernels doing every convolution, with the same results.
 */

import type { WebGpuKernelHost } from './backends/strategy';
import { errorText } from './errors';
import type { WebGpuKernels } from './protocol';
import { checkKernels } from './webgpu-conv/check';
import { deviceHasF16, WebGpuConvolution } from './webgpu-conv/convolution';
import { registerF16CapableWebGpu } from './webgpu-conv/device';

export class WebGpuKernelInstaller implements WebGpuKernelHost {
  private conv: WebGpuConvolution | null = null;
  private unavailable: string | null = null;

  /**
   * @param enabled false keeps tfjs's kernels (the benchmark's `webgpuConvKernels: false`).
   * @param f16 the f16 variant where the device has `shader-f16` (the benchmark's `webgpuF16: true`).
   */
  constructor(
    private readonly enabled: boolean,
    private readonly f16: boolean,
  ) {}

  prepareDevice(): void {
    if (this.enabled && this.f16) registerF16CapableWebGpu();
  }

  /** Installs the kernels and has them check themselves; a wrong result puts tfjs's back. */
  async install(): Promise<void> {
    this.conv = null;
    this.unavailable = null;
    if (!this.enabled) return;
    let conv: WebGpuConvolution | null = null;
    try {
      const precision = this.f16 && deviceHasF16() ? 'f16' : 'f32';
      conv = WebGpuConvolution.install(precision);
      const wrong = await checkKernels(conv, precision === 'f16' ? 2e-2 : 1e-4);
      if (wrong) throw new Error(wrong);
      this.conv = conv;
    } catch (e) {
      conv?.uninstall();
      this.unavailable = errorText(e);
    }
  }

  detach(): void {
    this.conv?.uninstall();
    this.conv = null;
  }

  /** The pipelines being created (the warm-up waits for them and counts them as they finish). */
  pending(): Promise<void>[] {
    return this.conv?.pending() ?? [];
  }

  get status(): WebGpuKernels | undefined {
    if (!this.conv) {
      if (!this.enabled) return { convolutions: 'tfjs' };
      return this.unavailable
        ? { convolutions: 'tfjs', note: `the app's kernels are unavailable: ${this.unavailable}` }
        : undefined;
    }
    const s = this.conv.status;
    const notes = [
      ...(this.f16 && s.precision === 'f32' ? ['f16 asked, but the device has no shader-f16'] : []),
      ...(s.failure ? [`a pipeline failed, tfjs runs its convolutions: ${s.failure}`] : []),
    ];
    return {
      convolutions: 'lymphscope',
      precision: s.precision,
      pipelines: s.pipelines.ready,
      ...(notes.length ? { note: notes.join('; ') } : {}),
    };
  }
}
