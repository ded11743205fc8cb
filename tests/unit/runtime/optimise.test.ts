import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyResNet } from '../../../scripts/make-fixture-pack';
import { GradCamModel } from '../../../src/runtime/gradcam';
import { optimiseTopology } from '../../../src/runtime/optimise';
import { maxAbsDiff } from './helpers';

type Layer = { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: unknown[] };

/** A small exporter-style graph: pad → conv → relu → conv → add(skip) → relu(out) → gap → dense. */
function topology() {
  const node = (...names: string[]) => [names.map((n) => [n, 0, 0, {}])];
  const layers: Layer[] = [
    {
      class_name: 'InputLayer',
      name: 'input',
      config: { batch_input_shape: [null, 16, 16, 3], dtype: 'float32', name: 'input' },
      inbound_nodes: [],
    },
    { class_name: 'Conv2D', name: 'c1', config: conv('c1', 3, 4), inbound_nodes: node('input') },
    { class_name: 'Activation', name: 'r1', config: { name: 'r1', activation: 'relu' }, inbound_nodes: node('c1') },
    { class_name: 'Conv2D', name: 'c2', config: conv('c2', 4, 4), inbound_nodes: node('r1') },
    { class_name: 'ReLU', name: 'r2', config: { name: 'r2' }, inbound_nodes: node('c2') },
    { class_name: 'Conv2D', name: 'c3', config: conv('c3', 4, 4), inbound_nodes: node('r2') },
    { class_name: 'Add', name: 'add', config: { name: 'add' }, inbound_nodes: node('c3', 'r1') },
    { class_name: 'Activation', name: 'out', config: { name: 'out', activation: 'relu' }, inbound_nodes: node('add') },
    {
      class_name: 'GlobalAveragePooling2D',
      name: 'gap',
      config: { name: 'gap', data_format: 'channels_last' },
      inbound_nodes: node('out'),
    },
    {
      class_name: 'Dense',
      name: 'fc',
      config: { name: 'fc', units: 3, activation: 'linear', use_bias: true },
      inbound_nodes: node('gap'),
    },
  ];
  return { class_name: 'Model', config: { name: 'm', layers, input_layers: [['input', 0, 0]], output_layers: [['fc', 0, 0]] } };
}

function conv(name: string, _in: number, filters: number) {
  return { name, filters, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'linear', use_bias: true };
}

describe('optimiseTopology', () => {
  it('folds Conv2D → ReLU pairs, rewires consumers, and leaves shared or kept tensors alone', () => {
    const topo = topology();
    const { topology: out, report } = optimiseTopology(topo, new Set(['out']));
    const layers = (out.config as { layers: Layer[] }).layers;
    // r1 feeds c2 and the skip connection of `add`; c1's only consumer is r1, so it still folds.
    expect(report.fusedRelu).toEqual([
      ['c1', 'r1'],
      ['c2', 'r2'],
    ]);
    expect(layers.map((l) => l.name)).toEqual(['input', 'c1', 'c2', 'c3', 'add', 'out', 'gap', 'fc']);
    expect(layers.find((l) => l.name === 'c1')!.config.activation).toBe('relu');
    expect(JSON.stringify(layers.find((l) => l.name === 'add')!.inbound_nodes)).toBe(
      JSON.stringify([
        [
          ['c3', 0, 0, {}],
          ['c1', 0, 0, {}],
        ],
      ]),
    );
    // The input topology is not modified.
    expect((topo.config.layers as Layer[]).length).toBe(10);
  });

  it('keeps a ReLU that is the Grad-CAM layer', () => {
    const { report } = optimiseTopology(topology(), new Set(['r2']));
    expect(report.fusedRelu).toEqual([['c1', 'r1']]);
  });

  it('builds a model with the same outputs as the unfused one', async () => {
    await tf.setBackend('cpu');
    const model = buildTinyResNet(5);
    const artifacts = await new Promise<tf.io.ModelArtifacts>((resolve) => {
      void model.save(
        tf.io.withSaveHandler(
          async (a) => (resolve(a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }),
        ),
      );
    });
    const { topology: fused, report } = optimiseTopology(
      artifacts.modelTopology as Record<string, unknown>,
      new Set(['block2_out']),
    );
    expect(report.fusedRelu.length).toBeGreaterThan(0);
    const rebuilt = await tf.loadLayersModel(tf.io.fromMemory({ ...artifacts, modelTopology: fused }));
    const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 3);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (rebuilt.predict(x) as tf.Tensor).dataSync();
    expect(maxAbsDiff(Array.from(a), Array.from(b))).toBeLessThan(1e-5);
    expect(rebuilt.layers.length).toBe(model.layers.length - report.fusedRelu.length);
    x.dispose();
    model.dispose();
    rebuilt.dispose();
  });
});

describe('closed-form Grad-CAM', () => {
  let model: tf.LayersModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = buildTinyResNet(7);
  });
  afterAll(() => model.dispose());

  it('gives the autograd maps and channel weights for a GAP → Dense tail, with no tensors left over', () => {
    const closed = GradCamModel.split(model, 'block2_out', 'test');
    const autograd = GradCamModel.split(model, 'block2_out', 'test', false);
    expect(closed.analytic).toBe(true);
    expect(autograd.analytic).toBe(false);
    const before = tf.memory().numTensors;
    const [a, b] = tf.tidy(() => {
      const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
      const ca = closed.camPass(closed.forwardPass(x));
      const cb = autograd.camPass(autograd.forwardPass(x));
      return [
        { w: ca.channelWeights.dataSync(), cams: ca.cams.dataSync() },
        { w: cb.channelWeights.dataSync(), cams: cb.cams.dataSync() },
      ];
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(maxAbsDiff(Array.from(a.w), Array.from(b.w))).toBeLessThan(1e-6);
    expect(maxAbsDiff(Array.from(a.cams), Array.from(b.cams))).toBeLessThan(1e-4);
  });

  it('falls back to autograd when the target is inside the network', () => {
    expect(GradCamModel.split(model, 'block1_out', 'test').analytic).toBe(false);
  });
});
