/**
 * The inference engine: builds one tfjs LayersModel per modality from a verified pack, picks and
 * supervises the backend, and turns ROI pixels into logits, calibrated probabilities and one
 * Grad-CAM map per class. Plain class, no worker APIs: the worker shell and the Node tests drive it
 * the same way.
 */

import * as tf from '@tensorflow/tfjs';
import { normaliseCam } from '../explain/cam';
import { preprocess } from '../imaging/preprocess';
import type { RgbaImage } from '../imaging/resize';
import type { LoadedPack, ModelFiles } from '../model-pack/loader';
import type { Manifest, Modality, ModalitySpec } from '../model-pack/manifest';
import {
  backendsAfter,
  selectBackend,
  wantedWasmThreads,
  wasmHeapBytes,
  wasmThreadCount,
  watchDeviceLoss,
  type BackendOptions,
} from './backends';
import { kernelBinaryFor, WasmConvolution, type ConvolutionOptions, type ConvolutionSource } from './conv/convolution';
import { errorText, RuntimeError } from './errors';
import { GradCamModel, type ForwardPass } from './gradcam';
import { optimiseTopology } from './optimise';
import { softmaxWithTemperature } from './probabilities';
import {
  BACKENDS,
  type BackendChoice,
  type BackendName,
  type ModalityAnalysis,
  type SkippedBackend,
  type WasmKernels,
} from './protocol';

/**
 * Speed switches, all on by default. They exist so the benchmark can measure what each one gains
 * (bench/README.md); the app never turns them off.
 */
export interface RuntimeTuning {
  /** Fold each Conv2D → ReLU pair into one fused convolution (optimise.ts). */
  fuseConvRelu?: boolean;
  /** Closed-form Grad-CAM when the model ends in GlobalAveragePooling2D → Dense (gradcam.ts). */
  closedFormGradCam?: boolean;
  /**
   * Warm up every model at init (true), or only what needs it (false, default): GPU backends
   * compile shaders and run every model; wasm and cpu have nothing to compile, so init runs the
   * first model only, or none when `backgroundWarmUp` warms them all after init.
   */
  warmAllModels?: boolean;
  /**
   * After init, warm the models the init warm-up left out, one at a time, whenever no request is
   * waiting (default false here; the app's worker turns it on). A clinician's first three-modality
   * analysis then runs on warm models without init having waited for them.
   */
  backgroundWarmUp?: boolean;
  /**
   * On wasm, the app's own convolution kernels (conv/convolution.ts: Winograd for 3×3 stride 1,
   * direct otherwise) and thread pool instead of tfjs's XNNPACK, when the host supplies them
   * (`EngineOptions.convolution`).
   */
  convKernels?: boolean;
}

export interface EngineOptions extends BackendOptions {
  tuning?: RuntimeTuning;
  /** Where the app's convolution kernels come from (wasm backend); without them XNNPACK does all. */
  convolution?: ConvolutionSource;
  /** Called when the active backend failed and another one took over (results keep coming). */
  onBackendChanged?: (backend: BackendName, reason: string) => void;
  /** Called as init moves through its stages. */
  onStage?: (stage: 'backend' | 'warmup') => void;
}

export interface EngineReady {
  backend: BackendName;
  skipped: SkippedBackend[];
  /** Building the models from the pack's bytes on the chosen backend. */
  buildMs: number;
  /** First inference + Grad-CAM pass per model (shader compilation, kernel setup). */
  warmupMs: number;
  /** wasm backend only: threads it runs with. */
  wasmThreads?: number;
  /** wasm backend only: which kernels run its convolutions. */
  wasmKernels?: WasmKernels;
}

export type AnalysisResult = ModalityAnalysis;

export interface EngineStats {
  numTensors: number;
  numBytes: number;
  backend: BackendName | null;
  /** wasm only: the backend's whole heap, which tfjs's byte count does not cover (kernel copies). */
  wasmHeapBytes?: number;
}

interface BuiltModel {
  spec: ModalitySpec;
  model: tf.LayersModel;
  gradcam: GradCamModel;
}

/** tfjs flags that make GPU backends compile shaders without running them (parallel compilation). */
const COMPILE_ONLY_FLAG: Partial<Record<BackendName, string>> = {
  webgl: 'ENGINE_COMPILE_ONLY',
  webgpu: 'WEBGPU_ENGINE_COMPILE_ONLY',
};

interface CompilingBackend {
  checkCompileCompletionAsync?: () => Promise<unknown>;
  getUniformLocations?: () => void;
}

const now = () => performance.now();

/** True for failures that say something about the request or the pack, not about the backend. */
function isCallerError(e: unknown): boolean {
  return e instanceof RuntimeError && (e.code === 'bad-input' || e.code === 'pack-invalid' || e.code === 'not-ready');
}

export class InferenceEngine {
  private pack: LoadedPack | null = null;
  private choice: BackendChoice = 'auto';
  private backend: BackendName | null = null;
  /** The backend last used, still reported by `stats()` after `dispose()`. */
  private lastBackend: BackendName | null = null;
  private models = new Map<Modality, BuiltModel>();
  /** Set when the device behind the active backend is known to be gone; checked before each run. */
  private lostReason: string | null = null;
  /** Backends that failed during this session, with why: never chosen again automatically. */
  private failed = new Map<BackendName, string>();
  /** Serialises calls: tfjs has one global active backend, so operations must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Models that have not run yet on the active backend (their first run is slower). */
  private cold = new Set<Modality>();
  /** Requests queued but not started: background warm-up waits while any are. */
  private waiting = 0;
  /** Bumped whenever the models are replaced, so a scheduled background warm-up can tell. */
  private generation = 0;
  /** The app's convolution kernels when the active backend is wasm and they installed. */
  private conv: WasmConvolution | null = null;
  private wasmKernels: WasmKernels | undefined;
  /** The kernel build, compiled before the wasm backend starts (see `checkKernels`). */
  private kernelBuild: ConvolutionOptions['compiled'];
  private kernelsChecked = false;
  private kernelsUnavailable: string | null = null;

  private readonly options: EngineOptions;

  constructor(options: EngineOptions = {}) {
    const ownKernels = !!options.convolution && options.tuning?.convKernels !== false;
    this.options = { ...options, ownConvolutionPool: ownKernels };
  }

  get activeBackend(): BackendName | null {
    return this.backend;
  }

  /** Models that have not run yet on the active backend (background warm-up empties this). */
  get coldModels(): Modality[] {
    return [...this.cold];
  }

  get manifest(): Manifest | null {
    return this.pack?.manifest ?? null;
  }

  /** A caller's request: queued like everything else, and it goes before background warm-up. */
  private request<T>(fn: () => Promise<T>): Promise<T> {
    this.waiting++;
    let started = false;
    const begin = () => {
      if (!started) this.waiting--;
      started = true;
    };
    return this.exclusive(() => {
      begin();
      return fn();
    }).finally(begin);
  }

  /** Warms the cold models one by one in idle time (see `RuntimeTuning.backgroundWarmUp`). */
  private scheduleBackgroundWarmUp(): void {
    if (!this.options.tuning?.backgroundWarmUp) return;
    const generation = this.generation;
    // The first step waits a little longer: an analysis sent as soon as init answered goes first.
    const next = (delayMs = 30): void => {
      setTimeout(() => {
        if (generation !== this.generation || this.cold.size === 0) return;
        if (this.waiting > 0) return next();
        const modality = this.cold.values().next().value as Modality;
        void this.exclusive(async () => {
          if (generation !== this.generation || !this.cold.has(modality) || this.waiting > 0) return;
          const { spec } = this.requireModel(modality);
          await this.runOnce(modality, new Float32Array(spec.input.height * spec.input.width * 3));
        })
          .catch(() => this.cold.delete(modality)) // a real analysis will meet (and handle) the failure
          .finally(() => next());
      }, delayMs);
    };
    next(150);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Picks a backend (`auto`: webgpu → webgl → wasm → cpu, each smoke-tested), builds every model of
   * the pack on it and warms it up. With `auto`, a backend that fails while building or warming up
   * is skipped like one that failed its smoke test.
   */
  init(pack: LoadedPack | Promise<LoadedPack>, choice: BackendChoice): Promise<EngineReady> {
    // A pack still downloading is fine: the backend is chosen (wasm compiled, smoke-tested) while
    // the files arrive, and the models are built once they have. A download error rejects init.
    const packReady = Promise.resolve(pack);
    packReady.catch(() => undefined); // observed below; no unhandled rejection if selection fails first
    return this.exclusive(async () => {
      this.disposeModels();
      this.pack = null;
      this.choice = choice;
      const skipped: SkippedBackend[] = [];
      const candidates = choice === 'auto' ? this.usableBackends(BACKENDS, skipped) : [choice];
      await this.checkKernels();
      const activated = await this.activate(choice, candidates, skipped, true, packReady);
      const threads = activated.backend === 'wasm' ? Math.max(this.conv?.status.threads ?? 1, wasmThreadCount() ?? 1) : null;
      this.scheduleBackgroundWarmUp();
      return {
        ...activated,
        skipped,
        ...(threads ? { wasmThreads: threads } : {}),
        ...(activated.backend === 'wasm' && this.wasmKernels ? { wasmKernels: this.wasmKernels } : {}),
      };
    });
  }

  /** Analyses ROI pixels (8-bit RGBA) with the modality's model. */
  analyze(modality: Modality, pixels: RgbaImage): Promise<AnalysisResult> {
    return this.request(async () => {
      const built = this.requireModel(modality);
      if (pixels.width <= 0 || pixels.height <= 0 || pixels.data.length !== pixels.width * pixels.height * 4) {
        throw new RuntimeError(
          'bad-input',
          `The image is malformed (${pixels.width}×${pixels.height}, ${pixels.data.length} bytes).`,
        );
      }
      const start = now();
      const input = preprocess(pixels, built.spec.input);
      const preprocessMs = now() - start;
      const result = await this.runWithFallback(modality, input);
      result.timings.preprocessMs = preprocessMs;
      return result;
    });
  }

  /** Analyses an already preprocessed input (NHWC float32 values of one image, no batch axis). */
  analyzeInput(modality: Modality, input: Float32Array): Promise<AnalysisResult> {
    return this.request(async () => {
      const { spec } = this.requireModel(modality);
      const expected = spec.input.height * spec.input.width * 3;
      if (input.length !== expected) {
        throw new RuntimeError('bad-input', `The ${modality} model expects ${expected} input values, got ${input.length}.`);
      }
      return this.runWithFallback(modality, input);
    });
  }

  /** Live tensor count and bytes (tfjs engine state: valid even before a backend is chosen). */
  stats(): EngineStats {
    const { numTensors, numBytes } = tf.engine().state;
    const heap = this.backend === 'wasm' ? wasmHeapBytes() : null;
    return { numTensors, numBytes, backend: this.backend ?? this.lastBackend, ...(heap ? { wasmHeapBytes: heap } : {}) };
  }

  /**
   * Records that the active backend's device is gone. The next analysis moves to another backend
   * before running. Called by the WebGPU device-loss watcher; public so a host can report other
   * signals (e.g. a WebGL context loss event).
   */
  notifyBackendLost(reason: string): void {
    this.lostReason = reason;
  }

  /** Frees every model. The engine can be initialised again afterwards. */
  dispose(): Promise<void> {
    return this.exclusive(async () => {
      this.disposeModels();
      this.pack = null;
    });
  }

  private usableBackends(candidates: readonly BackendName[], skipped: SkippedBackend[]): BackendName[] {
    return candidates.filter((b) => {
      const reason = this.failed.get(b);
      if (reason) skipped.push({ backend: b, reason: `failed earlier in this session (${reason})` });
      return !reason;
    });
  }

  private requireModel(modality: Modality): BuiltModel {
    if (!this.pack || !this.backend)
      throw new RuntimeError('not-ready', 'The analysis engine is not ready: load a model pack first.');
    const built = this.models.get(modality);
    if (!built) {
      const available = [...this.models.keys()].join(', ');
      throw new RuntimeError('bad-input', `This model pack has no ${modality} model (it has: ${available}).`);
    }
    return built;
  }

  private asRuntimeError(e: unknown, code: RuntimeError['code'], where: string): RuntimeError {
    if (e instanceof RuntimeError) return e;
    return new RuntimeError(code, `Analysis engine failed ${where}: ${errorText(e)}`);
  }

  /**
   * Compiles the app's kernel build before the wasm backend is configured: if it cannot be loaded,
   * tfjs's XNNPACK keeps its own thread pool instead of the single thread it gets when the app's
   * pool takes over. Once per engine; the choice holds for the worker's life (tfjs sets its threads
   * once).
   */
  private async checkKernels(): Promise<void> {
    if (this.kernelsChecked || !this.options.ownConvolutionPool || !this.options.convolution) return;
    this.kernelsChecked = true;
    const binary = kernelBinaryFor(wantedWasmThreads(this.options) > 1);
    try {
      this.kernelBuild = { binary, module: await WebAssembly.compile(await this.options.convolution.load(binary)) };
    } catch (e) {
      this.options.ownConvolutionPool = false;
      this.kernelsUnavailable = errorText(e);
    }
  }

  /**
   * Installs the app's convolution kernels on wasm (once per session: they outlive model
   * rebuilds). Any failure leaves XNNPACK doing every convolution, with the same results.
   */
  private async setUpConvolution(backend: BackendName): Promise<void> {
    if (backend !== 'wasm') {
      this.conv = null;
      return;
    }
    const source = this.options.convolution;
    if (!source || !this.options.ownConvolutionPool) {
      this.conv = null;
      this.wasmKernels = {
        convolutions: 'xnnpack',
        threads: wasmThreadCount() ?? 1,
        ...(this.kernelsUnavailable ? { note: `the app's kernels are unavailable: ${this.kernelsUnavailable}` } : {}),
      };
      return;
    }
    const wanted = wantedWasmThreads(this.options);
    try {
      this.conv = await WasmConvolution.install({ ...source, threads: wanted, compiled: this.kernelBuild });
      const { threads, singleThreadReason } = this.conv.status;
      this.wasmKernels = {
        convolutions: 'lymphscope',
        threads,
        ...(singleThreadReason && wanted > 1 ? { note: singleThreadReason } : {}),
      };
    } catch (e) {
      this.conv = null;
      this.wasmKernels = { convolutions: 'xnnpack', threads: 1, note: `the app's kernels are unavailable: ${errorText(e)}` };
    }
  }

  private async buildModels(pack: LoadedPack): Promise<void> {
    const numClasses = pack.manifest.classes.length;
    for (const [modality, files] of Object.entries(pack.models) as [Modality, ModelFiles][]) {
      const spec = pack.manifest.modalities[modality];
      if (!spec)
        throw new RuntimeError('pack-invalid', `The pack holds a ${modality} model that its manifest does not describe.`);
      const model = await this.buildModel(modality, spec, files);
      try {
        checkModelShape(model, modality, spec, numClasses);
        if (tf.getBackend() === 'wasm') this.conv?.prepare(model);
        const gradcam = GradCamModel.split(
          model,
          spec.gradcamLayer,
          `modalities.${modality}.gradcamLayer`,
          this.options.tuning?.closedFormGradCam !== false,
        );
        this.models.set(modality, { spec, model, gradcam });
        this.cold.add(modality);
      } catch (e) {
        this.conv?.release(model);
        model.dispose();
        throw e;
      }
    }
    this.backend = tf.getBackend() as BackendName;
    this.lastBackend = this.backend;
    this.lostReason = null;
    watchDeviceLoss(this.backend, (reason) => this.notifyBackendLost(reason));
  }

  private async buildModel(modality: Modality, spec: ModalitySpec, files: ModelFiles): Promise<tf.LayersModel> {
    try {
      const topology =
        this.options.tuning?.fuseConvRelu === false
          ? files.topology
          : optimiseTopology(files.topology, new Set([spec.gradcamLayer])).topology;
      return await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: topology,
          weightSpecs: files.weightSpecs as tf.io.WeightsManifestEntry[],
          weightData: files.weightData,
        }),
      );
    } catch (e) {
      // Unsupported layers and weight/topology mismatches land here: a pack problem, not a device one.
      const message = errorText(e);
      if (/Unknown layer|Unknown (activation|initializer)|shape|weight/i.test(message)) {
        throw new RuntimeError('pack-invalid', `The ${modality} model "${spec.model}" could not be built: ${message}`);
      }
      throw e;
    }
  }

  private disposeModels(): void {
    this.generation++;
    this.cold.clear();
    for (const { model } of this.models.values()) {
      this.conv?.release(model);
      try {
        model.dispose();
      } catch {
        // A lost GPU device can refuse to free its buffers; the models are unusable either way.
      }
    }
    this.models.clear();
    this.backend = null;
  }

  /**
   * Compiles every kernel an analysis uses, once per model, so the clinician's first analysis is
   * not the slow one. On WebGL/WebGPU a compile-only pass first lets the driver compile all shaders
   * in parallel; then one real analysis per model (at input size, with Grad-CAM) warms the rest.
   */
  private async warmUp(): Promise<void> {
    const flag = this.backend ? COMPILE_ONLY_FLAG[this.backend] : undefined;
    if (flag) await this.compileOnlyPass(flag);
    // wasm and cpu compile nothing, so init does not wait for warm-up runs there: with background
    // warm-up every model warms in idle time (and a failing backend is still left for the next
    // one by the analysis fallback); without it, one run of the first model checks the backend.
    const all = flag !== undefined || this.options.tuning?.warmAllModels === true;
    if (!all && this.options.tuning?.backgroundWarmUp) return;
    for (const [modality, { spec }] of this.models) {
      await this.runOnce(modality, new Float32Array(spec.input.height * spec.input.width * 3));
      if (!all) break;
    }
  }

  private async compileOnlyPass(flag: string): Promise<void> {
    let pending: tf.Tensor[] = [];
    try {
      tf.env().set(flag, true);
      for (const { spec, gradcam } of this.models.values()) {
        pending.push(
          ...tf.tidy(() => {
            const fp = gradcam.forwardPass(tf.zeros([1, spec.input.height, spec.input.width, 3]));
            const cam = gradcam.camPass(fp);
            return [fp.logits, cam.cams];
          }),
        );
      }
    } catch {
      // Compile-only is an optimisation; the real warm-up run below compiles whatever is missing.
    } finally {
      tf.env().set(flag, false);
    }
    const backend = tf.backend() as unknown as CompilingBackend;
    try {
      await backend.checkCompileCompletionAsync?.();
      backend.getUniformLocations?.();
    } finally {
      tf.dispose(pending);
      pending = [];
    }
  }

  /**
   * Runs the analysis; if the backend fails (lost device, driver error, non-finite output) and the
   * backend was chosen automatically, moves to the next working backend, rebuilds the models there,
   * tells the host, and runs the analysis again so the caller still gets its result.
   */
  private async runWithFallback(modality: Modality, input: Float32Array): Promise<AnalysisResult> {
    for (;;) {
      const failed = this.backend!;
      let reason: string;
      try {
        if (this.lostReason) throw new Error(this.lostReason);
        return await this.runOnce(modality, input);
      } catch (e) {
        if (isCallerError(e)) throw e;
        reason = errorText(e);
      }
      if (this.choice !== 'auto') {
        throw new RuntimeError(
          'inference-failed',
          `The analysis failed on the ${failed} backend (${reason}). Choose "auto" to let the app use another backend.`,
        );
      }
      await this.fallBack(failed, reason);
    }
  }

  private async fallBack(failed: BackendName, reason: string): Promise<void> {
    this.failed.set(failed, reason);
    this.disposeModels();
    let backend: BackendName;
    try {
      ({ backend } = await this.activate('auto', this.usableBackends(backendsAfter(failed), []), [], false));
    } catch (e) {
      throw new RuntimeError(
        'inference-failed',
        `The ${failed} backend failed (${reason}) and no other backend works: ${errorText(e)}`,
      );
    }
    this.options.onBackendChanged?.(backend, `${failed} failed: ${reason}`);
  }

  /**
   * Makes the first working backend of `candidates` active and builds the pack's models on it
   * (warming them up if `warm`). With `auto`, a backend that passes its smoke test but then fails
   * to build or warm up is recorded in `skipped` and the next one is tried.
   */
  private async activate(
    choice: BackendChoice,
    candidates: readonly BackendName[],
    skipped: SkippedBackend[],
    warm: boolean,
    packReady?: Promise<LoadedPack>,
  ): Promise<{ backend: BackendName; buildMs: number; warmupMs: number }> {
    for (;;) {
      if (!packReady) this.options.onStage?.('backend');
      const selection = await selectBackend(choice, this.options, candidates).catch((e: unknown) => {
        throw withEarlierReasons(e, skipped);
      });
      if (packReady) {
        this.pack = await packReady;
        packReady = undefined;
        this.options.onStage?.('backend');
      }
      skipped.push(...selection.skipped);
      await this.setUpConvolution(selection.backend);
      try {
        const buildStart = now();
        await this.buildModels(this.pack!);
        const buildMs = now() - buildStart;
        let warmupMs = 0;
        if (warm) {
          this.options.onStage?.('warmup');
          const warmStart = now();
          await this.warmUp();
          warmupMs = now() - warmStart;
        }
        return { backend: selection.backend, buildMs, warmupMs };
      } catch (e) {
        this.disposeModels();
        if (isCallerError(e) || choice !== 'auto') throw this.asRuntimeError(e, 'no-backend', `on ${selection.backend}`);
        const reason = `failed while loading the models: ${errorText(e)}`;
        this.failed.set(selection.backend, reason);
        skipped.push({ backend: selection.backend, reason });
        candidates = this.usableBackends(backendsAfter(selection.backend), []);
      }
    }
  }

  /** One analysis on the active backend: forward pass, then Grad-CAM for every class. */
  private async runOnce(modality: Modality, input: Float32Array): Promise<AnalysisResult> {
    const { spec, gradcam } = this.requireModel(modality);
    const { height, width } = spec.input;

    const inferStart = now();
    const fp = keepForwardPass(gradcam, tf.tensor4d(input, [1, height, width, 3]));
    const forwardTensors = [fp.activations, fp.logits, ...fp.crossing];
    try {
      const logits = Array.from(await fp.logits.data(), Number);
      const inferenceMs = now() - inferStart;
      if (!logits.every(Number.isFinite)) throw new Error(`non-finite logits [${logits.join(', ')}]`);

      const camStart = now();
      const raw = tf.tidy(() => gradcam.camPass(fp).cams);
      let rawData: Float32Array;
      try {
        rawData = (await raw.data()) as Float32Array;
      } finally {
        raw.dispose();
      }
      const mapSize = gradcam.featureHeight * gradcam.featureWidth;
      const normalised = logits.map((_, c) => normaliseCam(rawData.subarray(c * mapSize, (c + 1) * mapSize)));
      const gradcamMs = now() - camStart;
      this.cold.delete(modality);

      return {
        modality,
        logits,
        probabilities: softmaxWithTemperature(logits, spec.temperature),
        cams: normalised.map((n) => n.map),
        camEmpty: normalised.map((n) => n.empty),
        camWidth: gradcam.featureWidth,
        camHeight: gradcam.featureHeight,
        backend: this.backend!,
        timings: { preprocessMs: 0, inferenceMs, gradcamMs },
      };
    } finally {
      // The model input can itself cross the cut; dispose each tensor once.
      tf.dispose([...new Set(forwardTensors)]);
    }
  }
}

/**
 * Runs the forward pass and keeps only its outputs (intermediate tensors are freed), so they can
 * outlive an `await`. The input tensor is freed too unless it crosses the Grad-CAM cut.
 */
function keepForwardPass(gradcam: GradCamModel, x: tf.Tensor4D): ForwardPass {
  let fp: ForwardPass | undefined;
  tf.tidy(() => {
    fp = gradcam.forwardPass(x);
    for (const t of [fp.activations, fp.logits, ...fp.crossing]) tf.keep(t);
  });
  if (!fp!.crossing.includes(x)) x.dispose();
  return fp!;
}

/** Adds the reasons backends were passed over earlier to a "no backend" error. */
function withEarlierReasons(e: unknown, skipped: SkippedBackend[]): unknown {
  if (!(e instanceof RuntimeError) || skipped.length === 0) return e;
  const earlier = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  return new RuntimeError(e.code, `${e.message.replace(/\.$/, '')}; earlier: ${earlier}.`);
}

function checkModelShape(model: tf.LayersModel, modality: Modality, spec: ModalitySpec, numClasses: number): void {
  const inShape = model.inputs[0]?.shape ?? [];
  const { height, width } = spec.input;
  if (inShape.length !== 4 || inShape[1] !== height || inShape[2] !== width || inShape[3] !== 3) {
    throw new RuntimeError(
      'pack-invalid',
      `modalities.${modality}.input: the model's input is [${inShape.join(', ')}], the manifest says [null, ${height}, ${width}, 3].`,
    );
  }
  const outShape = model.outputs[0]?.shape ?? [];
  if (outShape.length !== 2 || outShape[1] !== numClasses) {
    throw new RuntimeError(
      'pack-invalid',
      `modalities.${modality}.model: the model outputs [${outShape.join(', ')}], expected [null, ${numClasses}] logits (one per class).`,
    );
  }
}
