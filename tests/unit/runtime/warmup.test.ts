import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LoadedPack } from '../../../src/model-pack/loader';
import type { Modality } from '../../../src/model-pack/manifest';
import { InferenceEngine } from '../../../src/runtime/engine';
import { ModelSet } from '../../../src/runtime/model-set';
import { loadFixturePack, randomPixels } from './helpers';

let pack: LoadedPack;

beforeAll(async () => {
  await tf.setBackend('cpu');
  pack = await loadFixturePack();
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const noHooks = { built: () => undefined, disposing: () => undefined };

/** Records every model run (warm-up and analyses alike) without changing what runs. */
function recordRuns(): Modality[] {
  const runs: Modality[] = [];
  const run = ModelSet.prototype.run;
  vi.spyOn(ModelSet.prototype, 'run').mockImplementation(function (this: ModelSet, modality, input) {
    runs.push(modality);
    return run.call(this, modality, input);
  });
  return runs;
}

describe('background warm-up on cpu/wasm (engine)', () => {
  const engine = new InferenceEngine({ tuning: { backgroundWarmUp: true } });
  afterAll(() => engine.dispose());

  it('leaves warm-up to idle time after init, behind a request sent at once, leaving no tensors behind', async () => {
    const runs = recordRuns();
    const ready = await engine.init(pack, 'cpu');
    expect(ready.warmupMs).toBeLessThan(50); // nothing ran at init
    const afterInit = tf.memory().numTensors;
    const r = await engine.analyze('elastography', randomPixels(80, 80, 3));
    expect(r.logits).toHaveLength(3);
    expect(runs).toEqual(['elastography']);
    // The two models still cold warm in idle time, once each.
    await until(() => runs.length === 3);
    expect(runs.slice(1).sort()).toEqual(['bmode', 'cdfi']);
    await until(() => tf.memory().numTensors === afterInit);
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toHaveLength(3);
  });

  it('stops warming when the models are replaced', async () => {
    const runs = recordRuns();
    await engine.init(pack, 'cpu');
    await engine.dispose();
    await new Promise((r) => setTimeout(r, 400));
    expect(runs).toEqual([]);
  });
});

describe('warm-up at init (model set)', () => {
  it('warms the first model only without background warm-up', async () => {
    const one = new ModelSet({}, noHooks);
    await one.build(pack, 'cpu');
    expect(one.cold).toEqual(['bmode', 'cdfi', 'elastography']);
    await one.warmUp(undefined);
    expect(one.cold).toEqual(['cdfi', 'elastography']);
    one.dispose();
    expect(one.cold).toEqual([]);
  });

  it('warms none with background warm-up, and every model when asked to', async () => {
    const later = new ModelSet({ backgroundWarmUp: true }, noHooks);
    await later.build(pack, 'cpu');
    await later.warmUp(undefined);
    expect(later.cold).toHaveLength(3);
    later.dispose();
    const all = new ModelSet({ warmAllModels: true, backgroundWarmUp: true }, noHooks);
    await all.build(pack, 'cpu');
    await all.warmUp(undefined);
    expect(all.cold).toEqual([]);
    all.dispose();
  });

  it('warms every model after a compile-only pass on backends that compile (flag set only during the pass)', async () => {
    const flag = 'ENGINE_COMPILE_ONLY'; // WebGL's flag: the cpu backend ignores it and computes
    const before = tf.env().getBool(flag);
    const models = new ModelSet({ backgroundWarmUp: true }, noHooks);
    await models.build(pack, 'cpu');
    const tensors = tf.memory().numTensors;
    await models.warmUp(flag);
    expect(models.cold).toEqual([]);
    expect(tf.env().getBool(flag)).toBe(before);
    expect(tf.memory().numTensors).toBe(tensors);
    models.dispose();
  });

  it("counts the GPU kernels' pipelines as they finish during the compile-only pass and waits for them", async () => {
    // Three pipelines of the app's GPU kernels, finishing in turn after the pass started them.
    const finish: (() => void)[] = [];
    const pipelines = [0, 1, 2].map(() => new Promise<void>((resolve) => finish.push(resolve)));
    const models = new ModelSet({ backgroundWarmUp: true }, { ...noHooks, compiling: () => pipelines });
    await models.build(pack, 'cpu');
    const seen: [number, number][] = [];
    let done = false;
    const warm = models.warmUp('ENGINE_COMPILE_ONLY', (d, t) => seen.push([d, t])).then(() => (done = true));
    await until(() => seen.length === 1);
    expect(seen).toEqual([[0, 3]]);
    finish[1]!();
    finish[0]!();
    await until(() => seen.length === 3);
    expect(done).toBe(false); // one pipeline still being created: the warm-up waits for it
    finish[2]!();
    await warm;
    expect(seen).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(models.cold).toEqual([]);
    models.dispose();
  });
});
