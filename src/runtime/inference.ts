/** One analysis on the active backend: forward pass, calibrated probabilities, Grad-CAM for every class. */

import * as tf from '@tensorflow/tfjs';
import { calibratedSoftmax } from '../analysis';
import type { BackendId } from '../domain';
import { normaliseCam } from '../explain';
import type { Modality, ModalitySpec } from '../model-pack';
import type { ForwardPass, GradCamModel } from './gradcam';
import type { ModalityAnalysis } from './protocol';

const now = () => performance.now();

/**
 * Runs `input` (NHWC float32 values of one image, no batch axis) through the model. Every tensor
 * it creates is freed before it returns, whether it succeeds or throws. Non-finite logits throw:
 * they mean a malfunctioning backend, not an answer.
 */
export async function infer(
  modality: Modality,
  spec: ModalitySpec,
  gradcam: GradCamModel,
  input: Float32Array,
  backend: BackendId,
): Promise<ModalityAnalysis> {
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

    return {
      modality,
      logits,
      probabilities: calibratedSoftmax(logits, spec.temperature),
      cams: normalised.map((n) => n.map),
      camEmpty: normalised.map((n) => n.empty),
      camWidth: gradcam.featureWidth,
      camHeight: gradcam.featureHeight,
      backend,
      timings: { preprocessMs: 0, inferenceMs, gradcamMs },
    };
  } finally {
    // The model input can itself cross the cut; dispose each tensor once.
    tf.dispose([...new Set(forwardTensors)]);
  }
}

/**
 * The pooled features of `input`: the spatial mean of the Grad-CAM layer's activations (what the
 * pack's input checks are trained on, training/input_gate.py). Every tensor is freed on return.
 */
export async function pooledFeatures(
  gradcam: GradCamModel,
  input: Float32Array,
  height: number,
  width: number,
): Promise<Float32Array> {
  return (await pooledFeaturesAndLogits(gradcam, input, height, width)).features;
}

/**
 * The pooled features and the model's logits of one forward pass (site adaptation re-fits the
 * head on the former and reports the latter as "before"). Every tensor is freed on return.
 */
export async function pooledFeaturesAndLogits(
  gradcam: GradCamModel,
  input: Float32Array,
  height: number,
  width: number,
): Promise<{ features: Float32Array; logits: Float32Array }> {
  const fp = keepForwardPass(gradcam, tf.tensor4d(input, [1, height, width, 3]));
  const forwardTensors = [fp.activations, fp.logits, ...fp.crossing];
  try {
    const pooled = tf.tidy(() => tf.mean(fp.activations, [0, 1, 2]));
    try {
      const [features, logits] = await Promise.all([pooled.data(), fp.logits.data()]);
      return { features: features as Float32Array, logits: Float32Array.from(logits) };
    } finally {
      pooled.dispose();
    }
  } finally {
    tf.dispose([...new Set(forwardTensors)]);
  }
}

/**
 * The logits of several preprocessed inputs (each NHWC float32 of one image) in one forward pass of
 * an [N, height, width, 3] batch: one call per layer instead of N (the app's WASM kernels loop over
 * the batch inside the call, tests/unit/runtime/convolution-batch.test.ts). No Grad-CAM. Every
 * tensor is freed on return; non-finite logits throw, as in `infer`.
 */
export async function batchLogits(
  gradcam: GradCamModel,
  inputs: readonly Float32Array[],
  height: number,
  width: number,
): Promise<number[][]> {
  const size = height * width * 3;
  const stacked = new Float32Array(inputs.length * size);
  inputs.forEach((x, i) => stacked.set(x, i * size));
  const fp = keepForwardPass(gradcam, tf.tensor4d(stacked, [inputs.length, height, width, 3]));
  try {
    const flat = Array.from(await fp.logits.data(), Number);
    if (!flat.every(Number.isFinite)) throw new Error(`non-finite logits in a batch of ${inputs.length}`);
    const classes = flat.length / inputs.length;
    return inputs.map((_, i) => flat.slice(i * classes, (i + 1) * classes));
  } finally {
    tf.dispose([...new Set([fp.activations, fp.logits, ...fp.crossing])]);
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
