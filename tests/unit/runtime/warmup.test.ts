import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedPack } from '../../../src/model-pack/loader';
import { InferenceEngine } from '../../../src/runtime/engine';
import { loadFixturePack, randomPixels } from './helpers';

let pack: LoadedPack;

beforeAll(async () => {
  await tf.setBackend('cpu');
  pack = await loadFixturePack();
});

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('warm-up on cpu/wasm', () => {
  const engine = new InferenceEngine({ tuning: { backgroundWarmUp: true } });
  afterAll(() => engine.dispose());

  it('leaves warm-up to idle time after init, leaving no tensors behind', async () => {
    await engine.init(pack, 'cpu');
    expect(engine.coldModels).toHaveLength(3);
    const afterInit = tf.memory().numTensors;
    // A request sent right away runs before the background warm-up.
    const r = await engine.analyze('elastography', randomPixels(80, 80, 3));
    expect(r.logits).toHaveLength(3);
    await until(() => engine.coldModels.length === 0);
    await until(() => tf.memory().numTensors === afterInit);
  });

  it('stops warming when the models are replaced', async () => {
    await engine.init(pack, 'cpu');
    await engine.dispose();
    expect(engine.coldModels).toEqual([]);
  });

  it('warms the first model at init without background warm-up', async () => {
    const one = new InferenceEngine();
    const ready = await one.init(pack, 'cpu');
    expect(ready.warmupMs).toBeGreaterThan(0);
    expect(one.coldModels).toHaveLength(2);
    await one.dispose();
  });

  it('warms every model at init when asked to', async () => {
    const all = new InferenceEngine({ tuning: { warmAllModels: true } });
    await all.init(pack, 'cpu');
    expect(all.coldModels).toEqual([]);
    await all.dispose();
  });
});
