/**
 * Grad-CAM on a tfjs LayersModel, split at the pack's `gradcamLayer`.
 *
 * One forward pass of a functional model built on the same layers returns the target activations
 * A, every tensor that crosses the cut (a skip connection that starts before the target and ends
 * after it, e.g. a ResNet shortcut when the target is inside a block) and the logits. The layers
 * downstream of the target are then re-executed eagerly on concrete tensors inside `tf.grad`, with
 * the crossing tensors fed as constants, to get ∂logit_c/∂A.
 *
 * All classes in one backward pass: A (and the crossing tensors) are tiled C times along the
 * batch axis and the objective is Σ_c logits[c, c], so batch row c receives exactly the gradient
 * of class c's pre-softmax logit. This is valid because every supported layer treats batch rows
 * independently (BatchNorm and Dropout run in inference mode).
 *
 * Closed form when the layers after the target are exactly GlobalAveragePooling2D → Dense
 * (linear), as in every ResNet whose last block is the target: ∂logit_c/∂A_k(i,j) = W[k,c]/(h·w)
 * everywhere, so the channel weights are the Dense kernel divided by h·w and no backward pass (nor
 * the tiled replay) is needed. Same numbers as the autograd path; `analytic` says which one runs.
 *
 * The split shares the original model's layers and weights: dispose the original model only
 * (tfjs does not reference-count layers across models, so disposing both would free twice).
 */

import * as tf from '@tensorflow/tfjs';
import { RuntimeError } from './errors';

type Layer = tf.layers.Layer;

/** One layer downstream of the cut, with the tensor ids it reads and writes. */
interface ReplayStep {
  layer: Layer;
  inputIds: number[];
  outputId: number;
}

export interface ForwardPass {
  /** Target activations, [1, h, w, k]. */
  activations: tf.Tensor4D;
  /** Values of the tensors crossing the cut, in `crossingIds` order. */
  crossing: tf.Tensor[];
  /** Pre-softmax logits, [1, numClasses]. */
  logits: tf.Tensor2D;
}

export interface CamPass {
  /** Spatial mean of ∂logit_c/∂A for each class: [numClasses, k]. */
  channelWeights: tf.Tensor2D;
  /** ReLU(Σ_k w_ck A_k), not normalised: [numClasses, h·w], row-major over (h, w). */
  cams: tf.Tensor2D;
}

function singleNode(layer: Layer, modelLabel: string) {
  const nodes = layer.inboundNodes;
  if (nodes.length !== 1 || nodes[0]!.outputTensors.length !== 1) {
    throw new RuntimeError(
      'pack-invalid',
      `${modelLabel}: layer "${layer.name}" is shared or has several outputs, which Grad-CAM does not support.`,
    );
  }
  return nodes[0]!;
}

/** The Dense layer when the tail after the target is GlobalAveragePooling2D → linear Dense. */
function gapDenseTail(steps: ReplayStep[], crossingCount: number): Layer | null {
  if (steps.length !== 2 || crossingCount !== 0) return null;
  const [gap, dense] = steps as [ReplayStep, ReplayStep];
  if (gap.layer.getClassName() !== 'GlobalAveragePooling2D' || dense.layer.getClassName() !== 'Dense') return null;
  const cfg = dense.layer.getConfig() as { activation?: string; useBias?: boolean };
  if ((cfg.activation ?? 'linear') !== 'linear') return null;
  if ((gap.layer.getConfig() as { dataFormat?: string }).dataFormat === 'channels_first') return null;
  return dense.layer;
}

export class GradCamModel {
  /** True when Grad-CAM uses the closed form (no backward pass); see the file comment. */
  readonly analytic: boolean;
  private readonly dense: Layer | null;

  private constructor(
    private readonly forward: tf.LayersModel,
    private readonly targetId: number,
    /** Ids of tensors computed before the cut and read after it; the model input appears as -1. */
    private readonly crossingIds: number[],
    private readonly crossingIsInput: boolean[],
    private readonly steps: ReplayStep[],
    private readonly logitsId: number,
    readonly featureHeight: number,
    readonly featureWidth: number,
    readonly featureChannels: number,
    useClosedForm = true,
  ) {
    this.dense = useClosedForm ? gapDenseTail(steps, crossingIds.length) : null;
    this.analytic = this.dense !== null;
  }

  /**
   * Prepares Grad-CAM for `model` at layer `layerName`. `modelLabel` names the model in errors
   * (e.g. "modalities.bmode.gradcamLayer").
   */
  static split(model: tf.LayersModel, layerName: string, modelLabel: string, useClosedForm = true): GradCamModel {
    const target = model.layers.find((l) => l.name === layerName);
    if (!target) throw new RuntimeError('pack-invalid', `${modelLabel}: "${layerName}" is not a layer of the model.`);
    const targetTensor = singleNode(target, modelLabel).outputTensors[0]!;
    const shape = targetTensor.shape;
    if (shape.length !== 4 || shape.slice(1).some((d) => d === null)) {
      throw new RuntimeError(
        'pack-invalid',
        `${modelLabel}: layer "${layerName}" outputs shape [${shape.join(', ')}], not a 4-D feature map [batch, h, w, c].`,
      );
    }
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new RuntimeError('pack-invalid', `${modelLabel}: the model must have exactly one input and one output.`);
    }
    const input = model.inputs[0]!;
    const logitsTensor = model.outputs[0]!;

    // model.layers is in topological order, so one pass finds everything downstream of the target.
    const downstream = new Set<number>([targetTensor.id]);
    const crossing = new Map<number, tf.SymbolicTensor>();
    const steps: ReplayStep[] = [];
    for (const layer of model.layers) {
      if (layer === target) continue;
      const node = singleNode(layer, modelLabel);
      const inputs = node.inputTensors;
      if (!inputs.some((t) => downstream.has(t.id))) continue;
      for (const t of inputs) if (!downstream.has(t.id)) crossing.set(t.id, t);
      const out = node.outputTensors[0]!;
      downstream.add(out.id);
      steps.push({ layer, inputIds: inputs.map((t) => t.id), outputId: out.id });
    }
    if (!downstream.has(logitsTensor.id)) {
      throw new RuntimeError('pack-invalid', `${modelLabel}: the logits do not depend on layer "${layerName}".`);
    }
    const crossingTensors = [...crossing.values()];
    const crossingIsInput = crossingTensors.map((t) => t.id === input.id);
    const fetched = crossingTensors.filter((_, i) => !crossingIsInput[i]);
    const forward = tf.model({ inputs: input, outputs: [targetTensor, ...fetched, logitsTensor] });
    return new GradCamModel(
      forward,
      targetTensor.id,
      crossingTensors.map((t) => t.id),
      crossingIsInput,
      steps,
      logitsTensor.id,
      shape[1]!,
      shape[2]!,
      shape[3]!,
      useClosedForm,
    );
  }

  /** Layers re-executed for the gradient (for diagnostics and tests). */
  get downstreamLayerNames(): string[] {
    return this.steps.map((s) => s.layer.name);
  }

  /** Number of tensors fed across the cut (skip connections that bypass the target). */
  get crossingCount(): number {
    return this.crossingIds.length;
  }

  /** The forward pass; tensors are the caller's to dispose (use inside tf.tidy). */
  forwardPass(x: tf.Tensor4D): ForwardPass {
    const outs = this.forward.predict(x) as tf.Tensor[];
    const activations = outs[0] as tf.Tensor4D;
    const logits = outs[outs.length - 1] as tf.Tensor2D;
    let fetched = 1;
    const crossing = this.crossingIsInput.map((isInput) => (isInput ? x : outs[fetched++]!));
    return { activations, crossing, logits };
  }

  /** Logits recomputed from (possibly altered) activations: the part of the model after the cut. */
  replay(activations: tf.Tensor, crossing: tf.Tensor[]): tf.Tensor2D {
    const values = new Map<number, tf.Tensor>();
    this.crossingIds.forEach((id, i) => values.set(id, crossing[i]!));
    values.set(this.targetId, activations);
    for (const step of this.steps) {
      const inputs = step.inputIds.map((id) => values.get(id)!);
      const out = step.layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor;
      values.set(step.outputId, out);
    }
    return values.get(this.logitsId)! as tf.Tensor2D;
  }

  /** Grad-CAM for every class from one forward pass; tensors are the caller's to dispose. */
  camPass(fp: ForwardPass): CamPass {
    const pixels = tf.reshape(fp.activations, [this.featureHeight * this.featureWidth, this.featureChannels]);
    if (this.dense) {
      // Dense kernel [k, C]: channelWeights[c, k] = W[k, c] / (h·w).
      const kernel = this.dense.getWeights()[0]!;
      const channelWeights = tf.div<tf.Tensor2D>(tf.transpose(kernel), this.featureHeight * this.featureWidth);
      const cams = tf.relu(tf.matMul(channelWeights, pixels, false, true)) as tf.Tensor2D;
      return { channelWeights, cams };
    }
    const numClasses = fp.logits.shape[1];
    const tileBatch = (t: tf.Tensor) => tf.tile(t, [numClasses, ...new Array<number>(t.rank - 1).fill(1)]);
    const crossing = fp.crossing.map(tileBatch);
    const diagonal = tf.eye(numClasses);
    const gradients = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(this.replay(a, crossing), diagonal)))(
      tileBatch(fp.activations),
    ) as tf.Tensor4D;
    const channelWeights = tf.mean<tf.Tensor2D>(gradients, [1, 2]);
    const cams = tf.relu(tf.matMul(channelWeights, pixels, false, true)) as tf.Tensor2D;
    return { channelWeights, cams };
  }
}
