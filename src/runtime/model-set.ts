/**
 * The pack's models on the active backend, one per modality: built together, warmed up, run, and
 * freed together. Knows nothing about which backend it runs on beyond what the supervisor hands
 * it (the backend's id, its compile-only flag, the hooks of the wasm kernels).
 */

import * as tf from '@tensorflow/tfjs';
import type { BackendId } from '../domain';
import type { LoadedPack, ModelFiles, Modality, ModalitySpec } from '../model-pack';
import { RuntimeError } from './errors';
import { GradCamModel } from './gradcam';
import { infer, pooledFeaturesAndLogits, batchLogits } from './inference';
import { buildModel, checkModelShape } from './model-build';
import { NodeFinderModel } from './node-finder';
import type { ModalityAnalysis } from './protocol';
import type { RuntimeTuning } from './tuning';

interface BuiltModel {
  spec: ModalitySpec;
  model: tf.LayersModel;
  gradcam: GradCamModel;
}

/** Told about every model built and freed (the app's wasm kernels keep filter copies per model). */
export interface ModelHooks {
  /** `modality`, `spec`: a classifier and its manifest entry (its `int8Compute` decides int8 convolutions on wasm); absent for the node finder. */
  built(model: tf.LayersModel, modality?: Modality, spec?: ModalitySpec): void;
  disposing(model: tf.LayersModel): void;
  /** Pipelines of the app's own GPU kernels being created (each resolves, never rejects, when done). */
  compiling?(): Promise<void>[];
}

/** Shader pipelines compiled so far during the warm-up, of how many. */
export type ShaderProgress = (done: number, total: number) => void;

interface CompilingBackend {
  checkCompileCompletionAsync?: () => Promise<unknown>;
  getUniformLocations?: () => void;
  /** tfjs-backend-webgpu: shader key → pipeline, a promise while a compile-only pass creates it. */
  pipelineCache?: Record<string, unknown>;
}

export class ModelSet {
  private readonly models = new Map<Modality, BuiltModel>();
  /** Models that have not run yet on the active backend (their first run is slower). */
  private readonly coldModels = new Set<Modality>();
  private backend: BackendId | null = null;
  /** The pack's node finder, when it has one. */
  private finderModel: NodeFinderModel | null = null;

  constructor(
    private readonly tuning: RuntimeTuning,
    private readonly hooks: ModelHooks,
  ) {}

  /** Modalities whose model has not run yet, in build order. */
  get cold(): Modality[] {
    return [...this.coldModels];
  }

  /** The model of `modality`, or a `bad-input` error naming the models there are. */
  require(modality: Modality): BuiltModel {
    const built = this.models.get(modality);
    if (!built) {
      const available = [...this.models.keys()].join(', ');
      throw new RuntimeError('bad-input', `This model pack has no ${modality} model (it has: ${available}).`);
    }
    return built;
  }

  /** The node finder, or a `bad-input` error when the pack has none. */
  requireFinder(): NodeFinderModel {
    if (!this.finderModel) throw new RuntimeError('bad-input', 'This model pack has no node finder.');
    return this.finderModel;
  }

  /** Builds every model of the pack on the active backend (`backend`). On failure nothing stays built. */
  async build(pack: LoadedPack, backend: BackendId): Promise<void> {
    this.dispose();
    try {
      await this.buildAll(pack);
    } catch (e) {
      this.dispose();
      throw e;
    }
    this.backend = backend;
  }

  private async buildAll(pack: LoadedPack): Promise<void> {
    const numClasses = pack.manifest.classes.length;
    for (const [modality, files] of Object.entries(pack.models) as [Modality, ModelFiles][]) {
      const spec = pack.manifest.modalities[modality];
      if (!spec)
        throw new RuntimeError('pack-invalid', `The pack holds a ${modality} model that its manifest does not describe.`);
      const model = await buildModel(modality, spec, files, this.tuning.fuseConvRelu !== false);
      try {
        checkModelShape(model, modality, spec, numClasses);
        this.hooks.built(model, modality, spec);
        const gradcam = GradCamModel.split(
          model,
          spec.gradcamLayer,
          `modalities.${modality}.gradcamLayer`,
          this.tuning.closedFormGradCam !== false,
        );
        this.models.set(modality, { spec, model, gradcam });
        this.coldModels.add(modality);
      } catch (e) {
        this.hooks.disposing(model);
        model.dispose();
        throw e;
      }
    }
    const finder = pack.manifest.nodeFinder;
    if (finder && pack.nodeFinder) {
      this.finderModel = await NodeFinderModel.build(finder, pack.nodeFinder, this.hooks, this.tuning.fuseConvRelu !== false);
    }
  }

  /**
   * Compiles every kernel an analysis uses, so the clinician's first analysis is not the slow one.
   * With a compile-only flag (WebGL/WebGPU) a compile-only pass first lets the driver compile all
   * shaders in parallel, then one real analysis per model warms the rest. Without one (wasm, cpu)
   * there is nothing to compile: with background warm-up every model warms in idle time later;
   * without it one run of the first model checks the backend (unless `warmAllModels`).
   */
  async warmUp(compileOnlyFlag: string | undefined, onShaders?: ShaderProgress): Promise<void> {
    if (compileOnlyFlag) await this.compileOnlyPass(compileOnlyFlag, onShaders);
    const all = compileOnlyFlag !== undefined || this.tuning.warmAllModels === true;
    if (!all && this.tuning.backgroundWarmUp) return;
    for (const modality of this.models.keys()) {
      await this.warm(modality);
      if (!all) break;
    }
  }

  /** Runs `modality`'s model once on a blank input, so its first real analysis is fast. */
  async warm(modality: Modality): Promise<void> {
    const { spec } = this.require(modality);
    await this.run(modality, new Float32Array(spec.input.height * spec.input.width * 3));
  }

  /** Leaves `modality` out of the idle warm-up (its warm-up failed: a real analysis will meet the failure). */
  forgetCold(modality: Modality): void {
    this.coldModels.delete(modality);
  }

  /** One analysis of a preprocessed input (NHWC float32 values of one image, no batch axis). */
  async run(modality: Modality, input: Float32Array): Promise<ModalityAnalysis> {
    const { spec, gradcam } = this.require(modality);
    const expected = spec.input.height * spec.input.width * 3;
    if (input.length !== expected) {
      throw new RuntimeError('bad-input', `The ${modality} model expects ${expected} input values, got ${input.length}.`);
    }
    const result = await infer(modality, spec, gradcam, input, this.backend!);
    this.coldModels.delete(modality);
    return result;
  }

  /** The pooled features of a preprocessed input (input checks), length = the Grad-CAM layer's channels. */
  async features(modality: Modality, input: Float32Array): Promise<Float32Array> {
    return (await this.featuresAndLogits(modality, input)).features;
  }

  /** The pooled features and the logits of one forward pass (no Grad-CAM): site adaptation's input. */
  async featuresAndLogits(modality: Modality, input: Float32Array): Promise<{ features: Float32Array; logits: Float32Array }> {
    const { spec, gradcam } = this.require(modality);
    const expected = spec.input.height * spec.input.width * 3;
    if (input.length !== expected) {
      throw new RuntimeError('bad-input', `The ${modality} model expects ${expected} input values, got ${input.length}.`);
    }
    const out = await pooledFeaturesAndLogits(gradcam, input, spec.input.height, spec.input.width);
    this.coldModels.delete(modality);
    return out;
  }

  /** The logits of several preprocessed inputs in one batched forward pass (validation runs). */
  async batchLogits(modality: Modality, inputs: readonly Float32Array[]): Promise<number[][]> {
    const { spec, gradcam } = this.require(modality);
    const expected = spec.input.height * spec.input.width * 3;
    const bad = inputs.find((x) => x.length !== expected);
    if (bad) throw new RuntimeError('bad-input', `The ${modality} model expects ${expected} input values, got ${bad.length}.`);
    const out = await batchLogits(gradcam, inputs, spec.input.height, spec.input.width);
    this.coldModels.delete(modality);
    return out;
  }

  /** Channels of `modality`'s Grad-CAM layer (the length of its pooled features). */
  featureChannels(modality: Modality): number {
    return this.require(modality).gradcam.featureChannels;
  }

  /** Frees every model. */
  dispose(): void {
    this.coldModels.clear();
    for (const { model } of this.models.values()) {
      this.hooks.disposing(model);
      try {
        model.dispose();
      } catch {
        // A lost GPU device can refuse to free its buffers; the models are unusable either way.
      }
    }
    this.models.clear();
    this.finderModel?.dispose();
    this.finderModel = null;
    this.backend = null;
  }

  private async compileOnlyPass(flag: string, onShaders?: ShaderProgress): Promise<void> {
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
      // Count the pipelines as they finish (tfjs's in its cache, the app's kernels' own), so the
      // start-up screen can show the compilation advancing instead of a still bar.
      const compiling = [
        ...Object.values(backend.pipelineCache ?? {}).filter((p): p is Promise<unknown> => p instanceof Promise),
        ...(this.hooks.compiling?.() ?? []),
      ];
      if (onShaders && compiling.length > 0) {
        let done = 0;
        onShaders(0, compiling.length);
        for (const p of compiling) {
          p.then(
            () => onShaders(++done, compiling.length),
            () => onShaders(++done, compiling.length),
          );
        }
      }
      await backend.checkCompileCompletionAsync?.();
      await Promise.all(this.hooks.compiling?.() ?? []);
      backend.getUniformLocations?.();
    } finally {
      tf.dispose(pending);
      pending = [];
    }
  }
}
