/**
 * The pack's node finder on the active backend: built, run and freed with the classifiers (model-set.ts).
 * Input NHWC [1, S, S, 2] from imaging's `finderInput`, output S × S logits; every tensor is created
 * and freed inside `run`, so the count stays flat however often it runs.
 */

import * as tf from '@tensorflow/tfjs';
import type { ModelFiles, NodeFinderSpec } from '../model-pack';
import { errorText, RuntimeError } from './errors';
import { optimiseTopology } from './optimise';
import type { ModelHooks } from './model-set';

export class NodeFinderModel {
  private constructor(
    readonly spec: NodeFinderSpec,
    private readonly model: tf.LayersModel,
    private readonly hooks: ModelHooks,
  ) {}

  /** Builds the model and checks it fits `spec`; `pack-invalid` when it does not. */
  static async build(
    spec: NodeFinderSpec,
    files: ModelFiles,
    hooks: ModelHooks,
    fuseConvRelu: boolean,
  ): Promise<NodeFinderModel> {
    let model: tf.LayersModel;
    try {
      const topology = fuseConvRelu ? optimiseTopology(files.topology, new Set()).topology : files.topology;
      model = await tf.loadLayersModel(
        tf.io.fromMemory({ modelTopology: topology, weightSpecs: files.weightSpecs, weightData: files.weightData }),
      );
    } catch (e) {
      const message = errorText(e);
      if (/Unknown layer|Unknown (activation|initializer)|shape|weight/i.test(message)) {
        throw new RuntimeError('pack-invalid', `The node finder "${spec.model}" could not be built: ${message}`);
      }
      throw e;
    }
    const s = spec.inputSize;
    const inShape = model.inputs[0]?.shape ?? [];
    const outShape = model.outputs[0]?.shape ?? [];
    if (inShape.join() !== [null, s, s, 2].join() || outShape.join() !== [null, s, s, 1].join()) {
      model.dispose();
      throw new RuntimeError(
        'pack-invalid',
        `nodeFinder: the model maps [${inShape.join(', ')}] → [${outShape.join(', ')}], the manifest says [null, ${s}, ${s}, 2] → [null, ${s}, ${s}, 1].`,
      );
    }
    hooks.built(model);
    return new NodeFinderModel(spec, model, hooks);
  }

  /** Logits (S × S, row-major) for one input from `finderInput`. */
  async run(input: Float32Array): Promise<Float32Array> {
    const s = this.spec.inputSize;
    if (input.length !== s * s * 2) {
      throw new RuntimeError('bad-input', `The node finder expects ${s * s * 2} input values, got ${input.length}.`);
    }
    const out = tf.tidy(() => this.model.predict(tf.tensor4d(input, [1, s, s, 2])) as tf.Tensor);
    try {
      return new Float32Array(await out.data<'float32'>());
    } finally {
      out.dispose();
    }
  }

  dispose(): void {
    this.hooks.disposing(this.model);
    try {
      this.model.dispose();
    } catch {
      // A lost GPU device can refuse to free its buffers; the model is unusable either way.
    }
  }
}
