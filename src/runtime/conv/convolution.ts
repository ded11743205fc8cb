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

export type KernelBinary = 'kernels.wasm' | 'kernels-threads.wasm' | 'kernels-relaxed.wasm' | 'kernels-relaxed-threads.wasm';

/** Which instruction set the kernels were built for: 128-bit SIMD, or Relaxed SIMD (fused multiply-add). */
export type KernelSimd = 'relaxed' | 'simd128';

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
}

/** The build for a tfjs heap that is shared (threaded tfjs) or not, with or without Relaxed SIMD. */
export function kernelBinaryFor(sharedHeap: boolean, simd: KernelSimd = 'simd128'): KernelBinary {
  if (simd === 'relaxed') return sharedHeap ? 'kernels-relaxed-threads.wasm' : 'kernels-relaxed.wasm';
  return sharedHeap ? 'kernels-threads.wasm' : 'kernels.wasm';
}

/**
 * The smallest module that uses Relaxed SIMD: one function (v128, v128, v128) → v128 returning
 * f32x4.relaxed_madd of its parameters. An engine that validates it runs the relaxed builds.
 */
// prettier-ignore
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) → v128
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, // code: one body of 11 bytes, no locals
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, // local.get 0, 1, 2
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0xfd 0x105)
  0x0b, // end
]);

/** Whether this engine runs Relaxed SIMD (Chromium has since 114; detected, never inferred from a version). */
export function relaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/** The instruction set to load: Relaxed SIMD where the engine has it and it is not switched off. */
export function kernelSimdFor(relaxedSimd = true): KernelSimd {
  return relaxedSimd && relaxedSimdSupported() ? 'relaxed' : 'simd128';
}

export interface ConvolutionStatus {
  threads: number;
  simd: KernelSimd;
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
  private readonly originals = new Map<string, tf.KernelConfig>();
  /** Convolutions run here, by kernel (the rest went to XNNPACK). */
  readonly calls = { winograd: 0, direct: 0 };

  private constructor(
    private readonly backend: WasmBackendInternals,
    private readonly k: Exports,
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
    const status: ConvolutionStatus = { threads: pool?.threads ?? 1, simd, singleThreadReason };
    const conv = new WasmConvolution(backend, instance.exports as unknown as Exports, pool, status);
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
    this.pool?.dispose();
    if (installed?.conv === this) installed = null;
  }

  /** The instance installed on the active backend, if any. */
  static current(): WasmConvolution | null {
    const active = installed;
    return active && active.backend === (tf.backend() as unknown) ? active.conv : null;
  }

  /** Lets the kernels take `model`'s convolutions; filters are copied into kernel order on first use. */
  prepare(model: tf.LayersModel): void {
    this.prepareFilters(
      model,
      model.weights.filter((w) => w.shape.length === 4).map((w) => w.read()),
    );
  }

  /** As `prepare`, for filters (HWIO tensors) that `owner` holds; other tensors are ignored. */
  prepareFilters(owner: object, filters: readonly tf.Tensor[]): void {
    const keys: object[] = [];
    for (const filter of filters) {
      if (filter.rank !== 4 || filter.dtype !== 'float32' || filter.shape[3]! % 8 !== 0) continue;
      if (!this.filters.has(filter.dataId)) this.filters.set(filter.dataId, { bytes: 0 });
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
    const direct = !winograd && info.strideHeight === info.strideWidth && pads.every((p) => p === 0);
    if (!winograd && !direct) return null;

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
      if (winograd) {
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
    this.calls[winograd ? 'winograd' : 'direct']++;
    return out;
  }

  private dispatch(kind: JobKind, common: number[], work: number[], items: Item[]): void {
    const kernel = kind === 'winograd' ? this.k.wino_conv : this.k.direct_conv;
    if (this.pool) {
      try {
        this.pool.run(kind, common, work, items, kernel);
        return;
      } catch (e) {
        // A helper failed or went silent: stop them all and carry on with this thread alone.
        this.pool.dispose();
        this.pool = null;
        this.currentStatus = {
          threads: 1,
          simd: this.currentStatus.simd,
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
