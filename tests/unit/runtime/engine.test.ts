import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_TEMPERATURES } from '../../../scripts/make-fixture-pack';
import { preprocess } from '../../../src/imaging/preprocess';
import type { LoadedPack } from '../../../src/model-pack/loader';
import { calibratedSoftmax } from '../../../src/analysis';
import { WasmConvolution } from '../../../src/runtime/conv/convolution';
import { InferenceEngine } from '../../../src/runtime/engine';
import { ModelSet } from '../../../src/runtime/model-set';
import type { ModalityAnalysis } from '../../../src/runtime/protocol';
import { loadFixturePack, loadKernelsFromDisk, maxAbsDiff, randomPixels } from './helpers';

let pack: LoadedPack;
const engine = new InferenceEngine();

beforeAll(async () => {
  await tf.setBackend('cpu');
  pack = await loadFixturePack();
});

afterAll(async () => {
  await engine.dispose();
});

function expectWellFormed(r: ModalityAnalysis): void {
  expect(r.logits).toHaveLength(3);
  expect(r.probabilities.every((p) => p >= 0 && p <= 1)).toBe(true);
  expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  expect(r.cams).toHaveLength(3);
  expect(r.camEmpty).toHaveLength(3);
  for (const [c, map] of r.cams.entries()) {
    expect(map).toHaveLength(r.camWidth * r.camHeight);
    expect(map.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(r.camEmpty[c]).toBe(map.every((v) => v === 0));
    if (!r.camEmpty[c]) expect(Math.max(...map)).toBe(1);
  }
}

describe('InferenceEngine on the fixture pack (cpu)', () => {
  it('initialises, warms up, and reports what it did', async () => {
    const before = tf.memory().numTensors;
    const ready = await engine.init(pack, 'cpu');
    expect(ready.backend).toBe('cpu');
    expect(ready.skipped).toEqual([]);
    expect(ready.warmupMs).toBeGreaterThan(0);
    expect(engine.stats().backend).toBe('cpu');
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    console.info(`cpu: build ${ready.buildMs.toFixed(0)} ms, warm-up ${ready.warmupMs.toFixed(0)} ms (3 models)`);
  });

  it('returns logits, temperature-calibrated probabilities and one [0,1] map per class at feature-map size', async () => {
    for (const modality of ['bmode', 'cdfi', 'elastography'] as const) {
      const r = await engine.analyze(modality, randomPixels(120, 90, 7));
      expectWellFormed(r);
      expect(r.modality).toBe(modality);
      expect([r.camWidth, r.camHeight]).toEqual([8, 8]);
      const temperature = FIXTURE_TEMPERATURES[modality];
      expect(maxAbsDiff(r.probabilities, calibratedSoftmax(r.logits, temperature))).toBeLessThan(1e-12);
      if (temperature !== 1) {
        expect(maxAbsDiff(r.probabilities, calibratedSoftmax(r.logits, 1))).toBeGreaterThan(1e-4);
      }
      console.info(
        `cpu ${modality}: preprocess ${r.timings.preprocessMs.toFixed(1)} ms, inference ${r.timings.inferenceMs.toFixed(1)} ms, Grad-CAM ${r.timings.gradcamMs.toFixed(1)} ms`,
      );
    }
  });

  it('analyses pixels exactly as the model set analyses their preprocessed input', async () => {
    const pixels = randomPixels(64, 64, 3);
    const fromPixels = await engine.analyze('bmode', pixels);
    const models = new ModelSet({}, { built: () => undefined, disposing: () => undefined });
    await models.build(pack, 'cpu');
    try {
      const fromInput = await models.run('bmode', preprocess(pixels, pack.manifest.modalities.bmode!.input));
      expect(fromPixels.logits).toEqual(fromInput.logits);
      expect(fromPixels.cams).toEqual(fromInput.cams);
      await expect(models.run('bmode', new Float32Array(5))).rejects.toMatchObject({
        code: 'bad-input',
        message: expect.stringMatching(/expects \d+ input values, got 5/),
      });
    } finally {
      models.dispose();
    }
  });

  it('keeps the tensor count flat over 20 analyses', async () => {
    await engine.analyze('bmode', randomPixels(80, 80, 1));
    const baseline = tf.memory().numTensors;
    const modalities = ['bmode', 'cdfi', 'elastography'] as const;
    for (let i = 0; i < 20; i++) await engine.analyze(modalities[i % 3]!, randomPixels(50 + i, 70, i));
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('rejects bad input with a clear code', async () => {
    await expect(engine.analyze('bmode', { width: 2, height: 2, data: new Uint8ClampedArray(3) })).rejects.toMatchObject({
      code: 'bad-input',
    });
    const onlyBmode: LoadedPack = { ...pack, models: { bmode: pack.models.bmode! } };
    const small = new InferenceEngine();
    await small.init(onlyBmode, 'cpu');
    await expect(small.analyze('cdfi', randomPixels(8, 8, 1))).rejects.toMatchObject({
      code: 'bad-input',
      message: expect.stringMatching(/no cdfi model/),
    });
    await small.dispose();
  });

  it('refuses to analyse before init, and frees every tensor on dispose', async () => {
    const fresh = new InferenceEngine();
    await expect(fresh.analyze('bmode', randomPixels(8, 8, 1))).rejects.toMatchObject({ code: 'not-ready' });
    await engine.dispose();
    const afterDispose = tf.memory().numTensors;
    await engine.init(pack, 'cpu');
    await engine.analyze('cdfi', randomPixels(30, 30, 2));
    await engine.dispose();
    expect(tf.memory().numTensors).toBe(afterDispose);
  });

  it('reports a Grad-CAM layer that is not in the model as a pack problem naming the field', async () => {
    const manifest = structuredClone(pack.manifest);
    manifest.modalities.bmode!.gradcamLayer = 'layer4_1_out';
    const broken: LoadedPack = { ...pack, manifest, models: { bmode: pack.models.bmode! } };
    const before = tf.memory().numTensors;
    await expect(new InferenceEngine().init(broken, 'cpu')).rejects.toMatchObject({
      code: 'pack-invalid',
      message: expect.stringMatching(/modalities\.bmode\.gradcamLayer: "layer4_1_out" is not a layer/),
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the same answers on wasm as on cpu', async () => {
    const pixels = randomPixels(100, 100, 5);
    await engine.init(pack, 'cpu');
    const onCpu = await engine.analyze('elastography', pixels);
    const ready = await engine.init(pack, 'wasm');
    expect(ready.backend).toBe('wasm');
    console.info(`wasm: build ${ready.buildMs.toFixed(0)} ms, warm-up ${ready.warmupMs.toFixed(0)} ms (3 models)`);
    const onWasm = await engine.analyze('elastography', pixels);
    expect(onWasm.backend).toBe('wasm');
    expect(maxAbsDiff(onWasm.logits, onCpu.logits)).toBeLessThan(1e-4);
    for (let c = 0; c < 3; c++) expect(maxAbsDiff(onWasm.cams[c]!, onCpu.cams[c]!)).toBeLessThan(1e-3);
    const t = onWasm.timings;
    console.info(`wasm elastography: inference ${t.inferenceMs.toFixed(1)} ms, Grad-CAM ${t.gradcamMs.toFixed(1)} ms`);
  });

  it("runs the app's own wasm convolution kernels when given them: same answers, flat tensors, freed copies", async () => {
    const input = randomPixels(90, 70, 8);
    await engine.init(pack, 'wasm');
    const reference = await engine.analyze('bmode', input);
    const own = new InferenceEngine({ convolution: { load: loadKernelsFromDisk } });
    try {
      const ready = await own.init(pack, 'wasm');
      // Node runs tfjs's single-threaded build: no shared heap, so no helper threads.
      expect(ready.wasmKernels).toMatchObject({ convolutions: 'lymphscope', threads: 1 });
      const conv = WasmConvolution.current()!;
      const calls = conv.calls.winograd + conv.calls.direct;
      const result = await own.analyze('bmode', input);
      expect(conv.calls.winograd + conv.calls.direct).toBeGreaterThan(calls);
      expect(maxAbsDiff(result.logits, reference.logits)).toBeLessThan(1e-4);
      for (let c = 0; c < 3; c++) expect(maxAbsDiff(result.cams[c]!, reference.cams[c]!)).toBeLessThan(1e-3);
      const before = own.stats().numTensors;
      for (let i = 0; i < 10; i++) await own.analyze('bmode', input);
      expect(own.stats().numTensors).toBe(before);
      expect(conv.filterBytes).toBeGreaterThan(0);
      await own.dispose();
      expect(conv.filterBytes).toBe(0);
    } finally {
      await own.dispose();
      WasmConvolution.current()?.uninstall();
    }
  });

  it("falls back to tfjs's kernels, and says why, when the app's kernels cannot be loaded", async () => {
    const input = randomPixels(64, 64, 9);
    await engine.init(pack, 'wasm');
    const reference = await engine.analyze('bmode', input);
    const own = new InferenceEngine({
      convolution: { load: () => Promise.reject(new Error('kernels.wasm: HTTP 404')) },
    });
    try {
      const ready = await own.init(pack, 'wasm');
      expect(ready.wasmKernels).toMatchObject({
        convolutions: 'xnnpack',
        note: expect.stringContaining('kernels.wasm: HTTP 404'),
      });
      expect(WasmConvolution.current()).toBeNull();
      expect(maxAbsDiff((await own.analyze('bmode', input)).logits, reference.logits)).toBe(0);
    } finally {
      await own.dispose();
    }
  });
});
