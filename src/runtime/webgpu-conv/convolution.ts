/**
 * LymphScope's own convolution kernels inside the tfjs WebGPU backend (shader.ts: implicit GEMM,
 * bias + ReLU fused).
 *
 * Installs itself as the webgpu backend's FusedConv2D and Conv2D kernels and takes the calls it can
 * do: NHWC float32, output channels a multiple of 4, linear or ReLU, any filter size, stride,
 * dilation and padding. Everything else (PReLU, leaky ReLU, channels-first…) goes to tfjs's own
 * kernel unchanged.
 *
 * Pipelines are created with `createComputePipelineAsync` only, so creating one never blocks the
 * thread. A call whose pipeline is not ready yet is handed to tfjs's own kernel (same result), so
 * nothing waits for a compilation; the engine's warm-up (compile-only pass) starts every pipeline
 * the models need and `settled()` waits for them, reporting progress. A pipeline that fails leaves
 * its variant to tfjs for good.
 *
 * The dispatch is recorded into the backend's own command encoder and compute pass, exactly as
 * tfjs records its programs (backend_webgpu.js `recordAndSubmit`), so ordering, batching of
 * submits and buffer reuse stay tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import {
  BINDING,
  convShader,
  dispatchSize,
  tileFor,
  uniformWords,
  variantKey,
  type ConvGeometry,
  type ConvPrecision,
  type ConvVariant,
} from './shader';

/** What this module reads of tfjs-backend-webgpu's backend object (4.22; not part of its public types). */
interface WebGpuBackendInternals {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { resource?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
  makeUniforms(uniforms: { type: 'int32'; data: number[] }[]): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: GPUCommandEncoder;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  /** Set while tf.profile/tf.time collects per-program timings: then tfjs's kernels run. */
  activeTimers?: unknown;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

const KERNELS = ['FusedConv2D', 'Conv2D'] as const;

export interface WebGpuConvStatus {
  precision: 'f32' | 'f16';
  /** Pipelines ready, being created, failed. */
  pipelines: { ready: number; pending: number; failed: number };
  /** Convolutions run by these kernels and handed to tfjs's (pipeline not ready, unsupported). */
  calls: { own: number; tfjs: number };
  /** The first pipeline failure, if any. */
  failure?: string;
}

type PipelineState =
  | { state: 'pending'; promise: Promise<void> }
  | { state: 'ready'; pipeline: GPUComputePipeline }
  | { state: 'failed'; error: string };

let installed: { backend: object; conv: WebGpuConvolution } | null = null;

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Whether the active webgpu backend's device can run the f16 variant. */
export function deviceHasF16(): boolean {
  if (tf.getBackend() !== 'webgpu') return false;
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  return device?.features.has('shader-f16') ?? false;
}

export class WebGpuConvolution {
  private readonly pipelines = new Map<string, PipelineState>();
  private readonly originals = new Map<string, tf.KernelConfig>();
  readonly calls = { own: 0, tfjs: 0 };
  private failure: string | undefined;

  private constructor(
    private readonly backend: WebGpuBackendInternals,
    readonly precision: ConvPrecision,
  ) {}

  /**
   * Installs the kernels on the active webgpu backend (once per backend and precision). `f16` needs
   * a device with `shader-f16` (throws otherwise); `f16-emulated` is for tests on adapters without it.
   */
  static install(precision: ConvPrecision = 'f32'): WebGpuConvolution {
    if (tf.getBackend() !== 'webgpu') throw new Error('these convolution kernels need the webgpu backend');
    const backend = tf.backend() as unknown as WebGpuBackendInternals;
    if (installed?.backend === backend && installed.conv.precision === precision) return installed.conv;
    if (precision === 'f16' && !backend.device.features.has('shader-f16')) {
      throw new Error('the WebGPU device has no shader-f16 feature');
    }
    installed?.conv.uninstall();
    const conv = new WebGpuConvolution(backend, precision);
    conv.register();
    installed = { backend, conv };
    return conv;
  }

  /** The instance installed on the active backend, if any. */
  static current(): WebGpuConvolution | null {
    const active = installed;
    return active && active.backend === (tf.backend() as unknown) ? active.conv : null;
  }

  get status(): WebGpuConvStatus {
    const pipelines = { ready: 0, pending: 0, failed: 0 };
    for (const p of this.pipelines.values()) pipelines[p.state]++;
    return {
      precision: this.precision === 'f32' ? 'f32' : 'f16',
      pipelines,
      calls: { ...this.calls },
      ...(this.failure ? { failure: this.failure } : {}),
    };
  }

  private register(): void {
    for (const name of KERNELS) {
      const original = tf.getKernel(name, 'webgpu');
      if (!original) continue;
      this.originals.set(name, original);
      tf.unregisterKernel(name, 'webgpu');
      tf.registerKernel({
        kernelName: name,
        backendName: 'webgpu',
        setupFunc: original.setupFunc,
        kernelFunc: (args: KernelArgs) => this.run(args) ?? this.handOver(original, args),
      });
    }
  }

  private handOver(original: tf.KernelConfig, args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
    this.calls.tfjs++;
    return original.kernelFunc(args as never);
  }

  /** Restores tfjs's own kernels (pipelines are left to the device's garbage collection). */
  uninstall(): void {
    for (const [name, original] of this.originals) {
      tf.unregisterKernel(name, 'webgpu');
      tf.registerKernel(original);
    }
    this.originals.clear();
    if (installed?.conv === this) installed = null;
  }

  /**
   * Resolves once no pipeline is being created; `progress(done, total)` after each one finishes.
   * Never rejects: a failed pipeline only means tfjs keeps that variant.
   */
  async settled(progress?: (done: number, total: number) => void): Promise<void> {
    const pending = this.pending();
    let done = 0;
    progress?.(0, pending.length);
    await Promise.all(pending.map((p) => p.then(() => progress?.(++done, pending.length))));
  }

  /** The pipelines being created, each resolving (never rejecting) when it is ready or failed. */
  pending(): Promise<void>[] {
    return [...this.pipelines.values()].flatMap((p) => (p.state === 'pending' ? [p.promise] : []));
  }

  /** Starts creating the pipeline of `v` (if not yet) and says where it stands. */
  private pipelineFor(v: ConvVariant): PipelineState {
    const key = variantKey(v);
    const known = this.pipelines.get(key);
    if (known) return known;
    const { device } = this.backend;
    const module = device.createShaderModule({ code: convShader(v), label: key });
    const promise = device
      .createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key })
      .then(
        (pipeline) => void this.pipelines.set(key, { state: 'ready', pipeline }),
        (e: unknown) => {
          const error = errorMessage(e);
          this.failure ??= `${key}: ${error}`;
          this.pipelines.set(key, { state: 'failed', error });
        },
      );
    const pending: PipelineState = { state: 'pending', promise };
    this.pipelines.set(key, pending);
    return pending;
  }

  /** Runs the convolution if these kernels do it; null hands it to tfjs's own kernel. */
  private run({ inputs, attrs }: KernelArgs): tf.TensorInfo | null {
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (!x || !filter || preluActivationWeights) return null;
    const a = (attrs ?? {}) as Record<string, unknown>;
    const activation = (a.activation as string | undefined) ?? 'linear';
    if (activation !== 'linear' && activation !== 'relu') return null;
    if ((a.dataFormat ?? 'NHWC') !== 'NHWC' || x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
    if (x.shape.length !== 4 || filter.shape.length !== 4) return null;
    if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1)) return null;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides as [number, number] | number,
      (a.dilations as [number, number] | number | undefined) ?? 1,
      a.pad as 'same',
      a.dimRoundingMode as 'floor' | undefined,
    );
    if (info.outChannels % 4 !== 0 || info.outHeight <= 0 || info.outWidth <= 0) return null;
    if (bias && bias.shape[0] !== info.outChannels) return null;
    const g: ConvGeometry = {
      batch: info.batchSize,
      inHeight: info.inHeight,
      inWidth: info.inWidth,
      inChannels: info.inChannels,
      outHeight: info.outHeight,
      outWidth: info.outWidth,
      outChannels: info.outChannels,
      filterHeight: info.filterHeight,
      filterWidth: info.filterWidth,
      strideHeight: info.strideHeight,
      strideWidth: info.strideWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
      dilationHeight: info.dilationHeight,
      dilationWidth: info.dilationWidth,
    };
    // More output blocks than one dispatch dimension may hold (outputs of ~2 M pixels): tfjs's kernel.
    const tile = tileFor(g);
    if (Math.max(...dispatchSize(g, tile)) > this.backend.device.limits.maxComputeWorkgroupsPerDimension) return null;
    const v: ConvVariant = {
      tile,
      vecInput: info.inChannels % 4 === 0,
      bias: !!bias,
      relu: activation === 'relu',
      precision: this.precision,
    };
    const state = this.pipelineFor(v);
    // A variant whose pipeline failed is tfjs's for good (in a compile-only pass too, so that
    // tfjs compiles its own shader there).
    if (state.state === 'failed') return null;
    const pipeline = state.state === 'ready' ? state.pipeline : null;
    const compileOnly = tf.env().getBool('WEBGPU_ENGINE_COMPILE_ONLY');
    // A pipeline being created: tfjs's kernel runs this call (in a compile-only pass, its output is
    // never read, so no tfjs shader needs compiling either).
    if (!pipeline && !compileOnly) return null;
    if (this.backend.activeTimers != null && !compileOnly) return null;
    const b = this.backend;
    if (compileOnly) {
      // On the GPU like tfjs's outputs in this pass, so that the next op does not take it for CPU data.
      const out = b.makeTensorInfo(info.outShape, 'float32');
      b.uploadToGPU(out.dataId);
      return out;
    }
    const ins = bias ? [x, filter, bias] : [x, filter];
    for (const t of ins) b.uploadToGPU(t.dataId);
    // A texture-backed input (from pixels): tfjs's kernel knows how to read it.
    if (!ins.every((t) => b.tensorMap.get(t.dataId)?.resource instanceof GPUBuffer)) return null;
    const out = b.makeTensorInfo(info.outShape, 'float32');
    b.uploadToGPU(out.dataId);
    const tensors = [out, ...ins];
    const buffers = tensors.map((t) => b.tensorMap.get(t.dataId)!.resource);
    const [outBuf, xBuf, wBuf, biasBuf] = buffers as GPUBuffer[];
    const words = uniformWords(g);
    const uniforms = b.makeUniforms(
      Array.from({ length: words.length / 4 }, (_, i) => ({
        type: 'int32' as const,
        data: [...words.subarray(i * 4, i * 4 + 4)],
      })),
    );
    const entries: GPUBindGroupEntry[] = [
      { binding: BINDING.output, resource: { buffer: outBuf! } },
      { binding: BINDING.input, resource: { buffer: xBuf! } },
      { binding: BINDING.filter, resource: { buffer: wBuf! } },
      { binding: BINDING.uniforms, resource: uniforms },
    ];
    if (biasBuf) entries.push({ binding: BINDING.bias, resource: { buffer: biasBuf } });
    const bindGroup = b.device.createBindGroup({ layout: pipeline!.getBindGroupLayout(0), entries });
    for (const t of tensors) b.commandQueueOwnedIds.add(t.dataId);
    b.ensureCommandEncoderReady();
    b.computePassEncoder ??= b.commandEncoder.beginComputePass({});
    b.computePassEncoder.setPipeline(pipeline!);
    b.computePassEncoder.setBindGroup(0, bindGroup);
    b.computePassEncoder.dispatchWorkgroups(...dispatchSize(g, tile));
    b.dispatchCountInPass++;
    if (tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= b.dispatchCountInPass) {
      b.endComputePassEncoder();
      b.submitQueue();
    }
    this.calls.own++;
    return out;
  }
}
