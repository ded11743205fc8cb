import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyResNet } from '../../../scripts/make-fixture-pack';
import { normaliseCam, weightedActivationMap } from '../../../src/explain/cam';
import { RuntimeError } from '../../../src/runtime/errors';
import { GradCamModel } from '../../../src/runtime/gradcam';
import { maxAbsDiff } from './helpers';

let model: tf.LayersModel;
let input: tf.Tensor4D;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = buildTinyResNet(5);
  input = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 99) as tf.Tensor4D;
});

afterAll(() => {
  model.dispose();
  input.dispose();
});

function explain(layer: string) {
  const gradcam = GradCamModel.split(model, layer, 'test');
  // Read everything inside the tidy so no tensor outlives it.
  let values!: {
    activations: Float32Array;
    logits: Float32Array;
    replayed: Float32Array;
    channelWeights: number[][];
    cams: number[][];
  };
  tf.tidy(() => {
    const fp = gradcam.forwardPass(input);
    const cam = gradcam.camPass(fp);
    values = {
      activations: fp.activations.dataSync() as Float32Array,
      logits: fp.logits.dataSync() as Float32Array,
      replayed: gradcam.replay(fp.activations, fp.crossing).dataSync() as Float32Array,
      channelWeights: cam.channelWeights.arraySync(),
      cams: cam.cams.arraySync(),
    };
  });
  return { gradcam, ...values };
}

function logitsOf(x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

describe('Grad-CAM', () => {
  it('equals CAM = ReLU(Σ_k W_kc A_k) when the target feeds a GAP → Dense head', () => {
    const r = explain('block2_out');
    expect(r.gradcam.downstreamLayerNames).toEqual(['gap', 'logits']);
    const [kernel] = model.getLayer('logits').getWeights();
    const w = kernel!.arraySync() as number[][]; // [channels, classes]
    const { featureHeight: h, featureWidth: wd } = r.gradcam;
    let nonEmpty = 0;
    for (let c = 0; c < 3; c++) {
      const classWeights = w.map((row) => row[c]!);
      // ∂logit_c/∂A_k(i,j) = W_kc / (h·w): the spatial mean of the gradient is W_kc / (h·w).
      expect(
        maxAbsDiff(
          r.channelWeights[c]!,
          classWeights.map((v) => v / (h * wd)),
        ),
      ).toBeLessThan(1e-6);
      const reference = normaliseCam(weightedActivationMap(r.activations, classWeights));
      const ours = normaliseCam(r.cams[c]!);
      expect(ours.empty).toBe(reference.empty);
      expect(maxAbsDiff(ours.map, reference.map)).toBeLessThan(1e-5);
      if (!ours.empty) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(0);
  });

  it('with the target inside a residual block, feeds the skip connection across the cut and matches finite differences', () => {
    // block1_conv1 is the first conv of an identity block: the shortcut (stem_pool output) starts
    // before the cut and ends at block1_add after it.
    const r = explain('block1_conv1');
    expect(r.gradcam.crossingCount).toBe(1);
    expect(r.gradcam.downstreamLayerNames).toContain('block1_add');
    // Re-executing the layers after the cut reproduces the model's own logits.
    expect(maxAbsDiff(r.replayed, r.logits)).toBeLessThan(1e-5);

    // Independent check through the intact model: adding ε to conv bias b_k shifts A_k by ε at every
    // position, so ∂logit_c/∂b_k = Σ_ij ∂logit_c/∂A_k(i,j) = h·w · (Grad-CAM weight w_ck).
    const conv = model.getLayer('block1_conv1');
    const [kernel, bias] = conv.getWeights().map((t) => t.clone());
    const biasValues = Array.from(bias!.dataSync());
    const hw = r.gradcam.featureHeight * r.gradcam.featureWidth;
    const eps = 1e-3;
    const logitsWithBias = (values: number[]) => {
      const b = tf.tensor1d(values);
      conv.setWeights([kernel!, b]);
      b.dispose();
      return logitsOf(input);
    };
    let worst = 0;
    let scale = 0;
    for (let k = 0; k < biasValues.length; k++) {
      const up = logitsWithBias(biasValues.map((v, i) => (i === k ? v + eps : v)));
      const down = logitsWithBias(biasValues.map((v, i) => (i === k ? v - eps : v)));
      for (let c = 0; c < 3; c++) {
        const finiteDifference = (up[c]! - down[c]!) / (2 * eps) / hw;
        const gradCamWeight = r.channelWeights[c]![k]!;
        worst = Math.max(worst, Math.abs(finiteDifference - gradCamWeight));
        scale = Math.max(scale, Math.abs(gradCamWeight));
      }
    }
    conv.setWeights([kernel!, bias!]);
    tf.dispose([kernel!, bias!]);
    expect(scale).toBeGreaterThan(0);
    expect(worst).toBeLessThan(0.02 * scale);
  });

  it('handles a projection shortcut crossing the cut', () => {
    // Inside block2, the 1×1 projection of block1_out bypasses block2_relu1.
    const r = explain('block2_relu1');
    expect(r.gradcam.crossingCount).toBe(1);
    expect(r.gradcam.downstreamLayerNames).toEqual([
      'block2_conv2_pad',
      'block2_conv2',
      'block2_add',
      'block2_out',
      'gap',
      'logits',
    ]);
    expect(maxAbsDiff(r.replayed, r.logits)).toBeLessThan(1e-5);
    expect(r.cams).toHaveLength(3);
    expect(r.cams[0]).toHaveLength(r.gradcam.featureHeight * r.gradcam.featureWidth);
  });

  it('refuses a Grad-CAM layer that is missing or not a feature map, naming the field', () => {
    const attempt = (layer: string) => () => GradCamModel.split(model, layer, 'modalities.bmode.gradcamLayer');
    expect(attempt('no_such_layer')).toThrow(RuntimeError);
    expect(attempt('no_such_layer')).toThrow(/modalities\.bmode\.gradcamLayer: "no_such_layer" is not a layer/);
    expect(attempt('gap')).toThrow(/not a 4-D feature map/);
  });

  it('leaves no tensors behind', () => {
    const gradcam = GradCamModel.split(model, 'block1_conv1', 'test');
    const run = () =>
      tf.tidy(() => {
        const fp = gradcam.forwardPass(input);
        gradcam.camPass(fp);
      });
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('normaliseCam', () => {
  it('scales by the maximum and keeps an all-zero map at zero, flagged empty', () => {
    expect(Array.from(normaliseCam([0, 1, 2, 4]).map)).toEqual([0, 0.25, 0.5, 1]);
    const empty = normaliseCam([0, 0, 0]);
    expect(empty.empty).toBe(true);
    expect(Array.from(empty.map)).toEqual([0, 0, 0]);
    expect(() => normaliseCam([0, NaN])).toThrow(/non-finite/);
  });
});
