/**
 * LymphScope's own convolution kernels inside the tfjs wasm backend.
 *
 * Installs itself as the wasm backend's FusedConv2D and Conv2D kernels and takes the calls it can
 * do (NHWC float32, dilation 1, linear or ReLU, Cout % 8 = 0, the filter of a model registered with
 * `prepare`):
 *   - 3×3 stride 1 with one pixel of zero padding on each side (Cin % 4 = 0): Winograd F(2×2, 3×3),
 *     2.25× fewer multiply-adds than the direct convolution;
 *   - no padding (the graph pads explicitly before strided layers), any size and stride: a direct
 *     convolution whose inner loop reads contiguous input for a whole filter row.
 * Every other call goes to tfjs's own XNNPACK kernel unchanged. The C kernels (kernels.c) work in
 * place on the tfjs heap, so no tensor is copied, and on a cross-origin-isolated page each
 * convolution is split over helper threads (pool.ts): one pool runs every convolution, so the
 * wasm backend's set-up (backends/wasm.ts) keeps tfjs's own XNNPACK pool at one thread and no
 * second pool competes for the cores.
 *
 * Results equal tfjs's own kernels to float32 rounding (tests/unit/runtime/convolution.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { MAX_ITEMS, type JobKind } from './control';
import { HelperPool, type Item } from './pool';

import { kernelBinaryFor, kernelSimdFor, type KernelBinary, type KernelSimd } from './builds';
import { int8Eligible, int8Exports, int8SelfCheck, inverseScale, type Int8Exports, type Int8Scales } from './int8';

export { kernelBinaryFor, kernelSimdFor, relaxedSimdSupported, type KernelBinary, type KernelSimd } from './builds';

export interface ConvolutionSource {
  /** Bytes of one of the builds (the shared-memory ones for tfjs's threaded build). */
  load(binary: KernelBinary): Promise<ArrayBuffer>;
  /** Starts one helper worker (helper-worker.ts); without it every convolution runs on this thread. */
  spawnHelper?: () => Worker;
}

export interface ConvolutionOptions extends ConvolutionSource {
  /** Threads to use in all, this one included; helpers start only on a shared heap. */
  threads: number;
  /** A build already compiled (wasm-kernels.ts compiles the one it expects before the backend starts). */
  compiled?: { binary: KernelBinary; module: WebAssembly.Module };
  /** false: the SIMD128 build even where Relaxed SIMD validates (the benchmark's comparison). Default true. */
  relaxedSimd?: boolean;
  /** false: float32 kernels even for models whose pack allows int8 (the benchmark's comparison). Default true. */
  int8?: boolean;
}

export interface ConvolutionStatus {
  threads: number;
  simd: KernelSimd;
  /** Whether models whose pack allows it get int8 convolutions (Relaxed SIMD builds only). */
  int8: boolean;
  /** Why not, on a relaxed build where int8 was wanted. */
  int8Reason?: string;
  /** Why fewer threads than asked run, when they do. */
  singleThreadReason?: string;
}

/** WebAssembly exports: plain functions that never use `this`. */
interface Exports {
  wino_conv: (...args: number[]) => void;
  wino_filter_size(cin: number, cout: number): number;
  wino_work_size(cin: number, cout: number): number;
  wino_transform_filter(filter: number, u: number, cin: number, cout: number): void;
  direct_conv: (...args: number[]) => void;
  direct_filter_size(kh: number, kw: number, cin: number, cout: number): number;
  direct_pack_filter(filter: number, p: number, kh: number, kw: number, cin: number, cout: number): void;
}

/** What this module reads of tfjs-backend-wasm's backend object (not part of its public types). */
interface WasmBackendInternals {
  wasm: {
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    wasmMemory?: WebAssembly.Memory;
    asm?: { memory?: WebAssembly.Memory };
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** A registered filter's kernel-ready copies on the wasm heap (made on first use). */
interface FilterCopies {
  winograd?: number;
  direct?: number;
  /** The layer's calibrated input scale when its pack allows int8, and the packed int8 filter. */
  int8Scale?: number;
  int8?: number;
  bytes: number;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

const KERNELS = ['FusedConv2D', 'Conv2D'] as const;
/** Items per thread to aim for: enough that a delayed thread's share is taken over by the others. */
const ITEMS_PER_THREAD = 4;
/** Output tiles or pixels per item, at least (4 GEMM row blocks) and at most. */
const MIN_ROWS = 16;
const MAX_ROWS = 256;

/**
 * Cuts `rows` output tiles or pixels × `blocks` channel blocks of 8 into items for `threads`:
 * ranges of rows (multiples of the GEMM's 4) while there are enough, else ranges of channel
 * blocks over all rows (the deepest layers: few pixels, many channels).
 */
export function cutItems(rows: number, blocks: number, threads: number): Item[] {
  if (threads <= 1) return [[0, rows, 0, blocks]];
  const target = threads * ITEMS_PER_THREAD;
  if (rows >= MIN_ROWS * 2 * threads) {
    const size = Math.max(
      Math.ceil(rows / MAX_ITEMS / 4) * 4,
      Math.min(MAX_ROWS, Math.max(MIN_ROWS, Math.ceil(rows / target / 4) * 4)),
    );
    return Array.from({ length: Math.ceil(rows / size) }, (_, i) => [i * size, Math.min(rows, (i + 1) * size), 0, blocks]);
  }
  const size = Math.max(1, Math.floor(blocks / target));
  return Array.from({ length: Math.ceil(blocks / size) }, (_, i) => [0, rows, i * size, Math.min(blocks, (i + 1) * size)]);
}

let installed: { backend: object; conv: WasmConvolution } | null = null;

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class WasmConvolution {
  private readonly filters = new Map<object, FilterCopies>();
  private readonly owned = new Map<object, object[]>();
  private readonly work: { ptr: number; bytes: number }[] = [];
  /** The quantized (and padded) input of the int8 convolution running now. */
  private quantized: { ptr: number; bytes: number } | null = null;
  private readonly originals = new Map<string, tf.KernelConfig>();
  /** Convolutions run here, by kernel (the rest went to XNNPACK). */
  readonly calls = { winograd: 0, direct: 0, int8: 0 };

  private constructor(
    private readonly backend: WasmBackendInternals,
    private readonly k: Exports,
    private readonly q8: Int8Exports | null,
    private pool: HelperPool | null,
    private currentStatus: ConvolutionStatus,
  ) {}

  /** Threads in use, and why fewer than asked when that is so. */
  get status(): ConvolutionStatus {
    return this.currentStatus;
  }

  /**
   * Installs the kernels on the active wasm backend (once per backend; later calls return the same
   * instance). Throws if the backend is not wasm or the binary cannot be instantiated.
   */
  static async install(options: ConvolutionOptions): Promise<WasmConvolution> {
    if (tf.getBackend() !== 'wasm') throw new Error('these convolution kernels need the wasm backend');
    const backend = tf.backend() as unknown as WasmBackendInternals;
    if (installed?.backend === backend) return installed.conv;
    const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('the tfjs wasm heap is not reachable');
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const simd = kernelSimdFor(options.relaxedSimd);
    const binary = kernelBinaryFor(shared, simd);
    const module =
      options.compiled?.binary === binary ? options.compiled.module : await WebAssembly.compile(await options.load(binary));
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    let pool: HelperPool | null = null;
    let singleThreadReason: string | undefined;
    if (options.threads <= 1) singleThreadReason = 'one thread requested';
    else if (!shared) singleThreadReason = 'the page is not cross-origin isolated (no shared memory)';
    else if (!options.spawnHelper) singleThreadReason = 'no helper workers here';
    else {
      try {
        pool = await HelperPool.start(module, memory, options.threads - 1, options.spawnHelper);
      } catch (e) {
        singleThreadReason = errorMessage(e);
      }
    }
    let q8 = options.int8 === false ? null : int8Exports(instance.exports);
    let int8Reason: string | undefined;
    if (
      q8 &&
      !int8SelfCheck(
        q8,
        memory,
        (n) => backend.wasm._malloc(n),
        (p) => backend.wasm._free(p),
      )
    ) {
      q8 = null;
      int8Reason = "this engine's 8-bit dot product failed the int8 self-check";
    }
    const status: ConvolutionStatus = { threads: pool?.threads ?? 1, simd, int8: q8 !== null, int8Reason, singleThreadReason };
    const conv = new WasmConvolution(backend, instance.exports as unknown as Exports, q8, pool, status);
    conv.register();
    installed = { backend, conv };
    return conv;
  }

  private register(): void {
    for (const name of KERNELS) {
      const original = tf.getKernel(name, 'wasm');
      if (!original) continue;
      this.originals.set(name, original);
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel({
        kernelName: name,
        backendName: 'wasm',
        // The original's setup already ran when the backend started; keep it for a restart.
        setupFunc: original.setupFunc,
        kernelFunc: (args: KernelArgs) => this.run(args) ?? original.kernelFunc(args as never),
      });
    }
  }

  /** Restores tfjs's own kernels and frees everything (the backend itself stays). */
  uninstall(): void {
    for (const [name, original] of this.originals) {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(original);
    }
    this.originals.clear();
    for (const owner of [...this.owned.keys()]) this.release(owner);
    for (const w of this.work) this.backend.wasm._free(w.ptr);
    this.work.length = 0;
    if (this.quantized) this.backend.wasm._free(this.quantized.ptr);
    this.quantized = null;
    this.pool?.dispose();
    if (installed?.conv === this) installed = null;
  }

  /** The instance installed on the active backend, if any. */
  static current(): WasmConvolution | null {
    const active = installed;
    return active && active.backend === (tf.backend() as unknown) ? active.conv : null;
  }

  /**
   * Lets the kernels take `model`'s convolutions; filters are copied into kernel order on first use.
   * `int8` (layer name → input scale, from a pack that allows int8) makes those layers run in int8
   * where this build has the int8 kernels. Returns how many layers will run in int8.
   */
  prepare(model: tf.LayersModel, int8?: Int8Scales): number {
    const filters: tf.Tensor[] = [];
    const scales: (number | undefined)[] = [];
    for (const layer of model.layers) {
      for (const w of layer.weights) {
        if (w.shape.length !== 4) continue;
        filters.push(w.read());
        scales.push(this.q8 ? int8?.get(layer.name) : undefined);
      }
    }
    this.prepareFilters(model, filters, scales);
    return scales.filter((s) => s !== undefined).length;
  }

  /**
   * As `prepare`, for filters (HWIO tensors) that `owner` holds; other tensors are ignored.
   * `int8Scales[i]`, when given, is filter i's calibrated input scale: that layer runs in int8.
   */
  prepareFilters(owner: object, filters: readonly tf.Tensor[], int8Scales: readonly (number | undefined)[] = []): void {
    const keys: object[] = [];
    for (const [i, filter] of filters.entries()) {
      if (filter.rank !== 4 || filter.dtype !== 'float32' || filter.shape[3]! % 8 !== 0) continue;
      const copies = this.filters.get(filter.dataId) ?? { bytes: 0 };
      this.filters.set(filter.dataId, copies);
      if (int8Scales[i] !== undefined && this.q8) copies.int8Scale = int8Scales[i];
      keys.push(filter.dataId);
    }
    this.owned.set(owner, [...(this.owned.get(owner) ?? []), ...keys]);
  }

  /** Frees the filter copies of `owner` (a model); call before disposing it. */
  release(owner: object): void {
    for (const key of this.owned.get(owner) ?? []) {
      const copies = this.filters.get(key);
      if (copies?.winograd) this.backend.wasm._free(copies.winograd);
      if (copies?.direct) this.backend.wasm._free(copies.direct);
      if (copies?.int8) this.backend.wasm._free(copies.int8);
      this.filters.delete(key);
    }
    this.owned.delete(owner);
  }

  /** Bytes of wasm heap held by filter copies. */
  get filterBytes(): number {
    let bytes = 0;
    for (const copies of this.filters.values()) bytes += copies.bytes;
    return bytes;
  }

  private offset(t: tf.TensorInfo): number {
    const data = this.backend.dataIdMap.get(t.dataId);
    if (!data) throw new Error('tensor not on the wasm heap');
    return data.memoryOffset;
  }

  /** Runs the convolution if one of the kernels does it; null hands it back to XNNPACK. */
  private run({ inputs, attrs }: KernelArgs): tf.TensorInfo | null {
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (!x || !filter || preluActivationWeights) return null;
    const copies = this.filters.get(filter.dataId);
    if (!copies) return null;
    const a = (attrs ?? {}) as Record<string, unknown>;
    const activation = (a.activation as string | undefined) ?? 'linear';
    if (activation !== 'linear' && activation !== 'relu') return null;
    if ((a.dataFormat ?? 'NHWC') !== 'NHWC' || x.dtype !== 'float32' || x.shape.length !== 4) return null;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      a.strides as [number, number] | number,
      (a.dilations as [number, number] | number | undefined) ?? 1,
      a.pad as 'same',
      a.dimRoundingMode as 'floor' | undefined,
    );
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
    const pads = [info.padInfo.top, info.padInfo.bottom, info.padInfo.left, info.padInfo.right];
    const winograd =
      info.filterHeight === 3 &&
      info.filterWidth === 3 &&
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      info.inChannels % 4 === 0 &&
      pads.every((p) => p === 1);
    const int8 =
      copies.int8Scale !== undefined && !!this.q8 && int8Eligible(info.inChannels, pads, info.strideHeight, info.strideWidth);
    const direct = !winograd && info.strideHeight === info.strideWidth && pads.every((p) => p === 0);
    if (!winograd && !direct && !int8) return null;

    const out = this.backend.makeOutput(info.outShape, 'float32');
    const { inHeight: h, inWidth: w, inChannels: cin, outChannels: cout, outHeight: oh, outWidth: ow } = info;
    const relu = activation === 'relu' ? 1 : 0;
    const xPtr = this.offset(x);
    const yPtr = this.offset(out);
    const biasPtr = bias ? this.offset(bias) : 0;
    const blocks = cout / 8;
    const threads = this.pool?.threads ?? 1;
    for (let b = 0; b < info.batchSize; b++) {
      const xb = xPtr + b * h * w * cin * 4;
      const yb = yPtr + b * oh * ow * cout * 4;
      if (int8) {
        this.runInt8(info, copies, filter, xb, biasPtr, yb, relu, pads[0]!, threads);
      } else if (winograd) {
        const u = this.winogradFilter(filter, copies, cin, cout);
        const work = Array.from({ length: threads }, (_, i) => this.workBuffer(i, cin, cout));
        const common = [xb, u, biasPtr, yb, work[0]!, h, w, cin, cout, relu];
        this.dispatch('winograd', common, work, cutItems(Math.ceil(h / 2) * Math.ceil(w / 2), blocks, threads));
      } else {
        const p = this.directFilter(filter, copies, info.filterHeight, info.filterWidth, cin, cout);
        const common = [xb, p, biasPtr, yb, w, cin, info.filterHeight, info.filterWidth, info.strideHeight, ow, cout, relu];
        this.dispatch('direct', common, [], cutItems(oh * ow, blocks, threads));
      }
    }
    this.calls[int8 ? 'int8' : winograd ? 'winograd' : 'direct']++;
    return out;
  }

  /** One image of an int8 convolution: quantize (padding folded in) on this thread, then the dot-product kernel on all. */
  private runInt8(
    info: tf.backend_util.Conv2DInfo,
    copies: FilterCopies,
    filter: tf.TensorInfo,
    x: number,
    bias: number,
    y: number,
    relu: number,
    pad: number,
    threads: number,
  ): void {
    const q8 = this.q8!;
    const { inHeight: h, inWidth: w, inChannels: cin, outChannels: cout, filterHeight: kh, filterWidth: kw } = info;
    const scale = copies.int8Scale!;
    if (!copies.int8) {
      const bytes = q8.q8_filter_size(kh, kw, cin, cout);
      copies.int8 = this.malloc(bytes, 'an int8 filter');
      q8.q8_pack_filter(this.offset(filter), copies.int8, kh, kw, cin, cout, Math.fround(scale));
      copies.bytes += bytes;
    }
    const hp = h + 2 * pad;
    const wp = w + 2 * pad;
    const bytes = hp * wp * cin;
    if (!this.quantized || this.quantized.bytes < bytes) {
      if (this.quantized) this.backend.wasm._free(this.quantized.ptr);
      this.quantized = { ptr: this.malloc(bytes, 'a quantized input'), bytes };
    }
    const xq = this.quantized.ptr;
    q8.q8_quantize(x, xq, h, w, cin, pad, inverseScale(scale), 0, hp);
    const common = [xq, copies.int8, bias, y, wp, cin, kh, kw, info.strideHeight, info.outWidth, cout, relu];
    this.dispatch('int8', common, [], cutItems(info.outHeight * info.outWidth, cout / 8, threads));
  }

  private dispatch(kind: JobKind, common: number[], work: number[], items: Item[]): void {
    const kernel = kind === 'winograd' ? this.k.wino_conv : kind === 'int8' ? this.q8!.q8_conv : this.k.direct_conv;
    if (this.pool) {
      try {
        this.pool.run(kind, common, work, items, kernel);
        return;
      } catch (e) {
        // A helper failed or went silent: stop them all and carry on with this thread alone.
        this.pool.dispose();
        this.pool = null;
        this.currentStatus = {
          ...this.currentStatus,
          threads: 1,
          singleThreadReason: `helper threads stopped: ${errorMessage(e)}`,
        };
      }
    }
    for (const item of items) kernel(...common, ...item);
  }

  private winogradFilter(filter: tf.TensorInfo, copies: FilterCopies, cin: number, cout: number): number {
    if (!copies.winograd) {
      const bytes = this.k.wino_filter_size(cin, cout) * 4;
      copies.winograd = this.malloc(bytes, 'a transformed filter');
      this.k.wino_transform_filter(this.offset(filter), copies.winograd, cin, cout);
      copies.bytes += bytes;
    }
    return copies.winograd;
  }

  private directFilter(filter: tf.TensorInfo, copies: FilterCopies, kh: number, kw: number, cin: number, cout: number) {
    if (!copies.direct) {
      const bytes = this.k.direct_filter_size(kh, kw, cin, cout) * 4;
      copies.direct = this.malloc(bytes, 'a packed filter');
      this.k.direct_pack_filter(this.offset(filter), copies.direct, kh, kw, cin, cout);
      copies.bytes += bytes;
    }
    return copies.direct;
  }

  private workBuffer(thread: number, cin: number, cout: number): number {
    const bytes = this.k.wino_work_size(cin, cout) * 4;
    const current = this.work[thread];
    if (current && current.bytes >= bytes) return current.ptr;
    if (current) this.backend.wasm._free(current.ptr);
    const ptr = this.malloc(bytes, 'convolution scratch');
    this.work[thread] = { ptr, bytes };
    return ptr;
  }

  private malloc(bytes: number, what: string): number {
    const ptr = this.backend.wasm._malloc(bytes);
    if (!ptr) throw new Error(`out of WebAssembly memory for ${what}`);
    return ptr;
  }
}
