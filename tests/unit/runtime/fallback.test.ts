import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LoadedPack } from '../../../src/model-pack/loader';
import type { BackendId } from '../../../src/domain';
import { wasmStrategy } from '../../../src/runtime/backends/wasm';
import { InferenceEngine } from '../../../src/runtime/engine';
import { loadFixturePack, maxAbsDiff, randomPixels } from './helpers';

/** Makes every read from the active backend fail, as a lost GPU device does. */
function breakActiveBackend(): void {
  const backend = tf.backend() as unknown as Record<string, unknown>;
  const lost = () => {
    throw new Error('simulated device loss');
  };
  vi.spyOn(backend as { read: () => unknown }, 'read').mockImplementation(lost);
  vi.spyOn(backend as { readSync: () => unknown }, 'readSync').mockImplementation(lost);
}

afterEach(() => {
  vi.restoreAllMocks();
});

async function cpuReference(pack: LoadedPack, pixels: ReturnType<typeof randomPixels>) {
  const engine = new InferenceEngine();
  await engine.init(pack, 'cpu');
  const r = await engine.analyze('bmode', pixels);
  await engine.dispose();
  return r;
}

describe('backend failure during an analysis', () => {
  it('moves to the next backend, says so, and still returns the result', async () => {
    const pack = await loadFixturePack();
    const pixels = randomPixels(64, 48, 4);
    const reference = await cpuReference(pack, pixels);

    const changes: [BackendId, string][] = [];
    const engine = new InferenceEngine({ onBackendChanged: (b, reason) => changes.push([b, reason]) });
    expect((await engine.init(pack, 'auto')).backend).toBe('wasm');
    breakActiveBackend();
    const r = await engine.analyze('bmode', { ...pixels, data: pixels.data.slice() });
    expect(r.backend).toBe('cpu');
    expect(changes).toEqual([['cpu', expect.stringMatching(/^wasm failed: .*simulated device loss/)]]);
    expect(maxAbsDiff(r.logits, reference.logits)).toBeLessThan(1e-4);
    expect(maxAbsDiff(r.cams[0]!, reference.cams[0]!)).toBeLessThan(1e-3);
    vi.restoreAllMocks();

    // The failed backend is not chosen again in this session, and the reason is reported.
    const ready = await engine.init(pack, 'auto');
    expect(ready.backend).toBe('cpu');
    expect(ready.skipped.find((s) => s.backend === 'wasm')?.reason).toMatch(/failed earlier in this session/);
    await engine.dispose();
  });

  it('moves on before running when told the device is lost', async () => {
    const pack = await loadFixturePack();
    // Node's wasm backend has no device to lose: its strategy's loss watch is where the signal comes in.
    let loseDevice: ((reason: string) => void) | undefined;
    vi.spyOn(wasmStrategy, 'watchLoss').mockImplementation((onLost) => (loseDevice = onLost));
    const changes: [BackendId, string][] = [];
    const engine = new InferenceEngine({ onBackendChanged: (b, reason) => changes.push([b, reason]) });
    expect((await engine.init(pack, 'auto')).backend).toBe('wasm');
    loseDevice!('device lost (destroyed)');
    const r = await engine.analyze('cdfi', randomPixels(40, 40, 9));
    expect(changes).toEqual([['cpu', 'wasm failed: device lost (destroyed)']]);
    expect(r.backend).toBe('cpu');
    await engine.dispose();
  });

  it('skips a backend that passes its smoke test but cannot build the models', async () => {
    const pack = await loadFixturePack();
    await tf.setBackend('wasm');
    const wasm = tf.findBackend('wasm') as unknown as {
      write: (values: { length: number } | null, ...rest: unknown[]) => unknown;
    };
    const write = wasm.write.bind(wasm);
    // Small tensors (the smoke test) work; weight-sized uploads fail, like a GPU out of memory.
    vi.spyOn(wasm, 'write').mockImplementation((values, ...rest) => {
      if (values && values.length > 1000) throw new Error('simulated out of memory');
      return write(values, ...rest);
    });
    const engine = new InferenceEngine();
    const ready = await engine.init(pack, 'auto');
    expect(ready.backend).toBe('cpu');
    expect(ready.skipped.at(-1)).toEqual({
      backend: 'wasm',
      reason: expect.stringMatching(/failed while loading the models: .*simulated out of memory/),
    });
    vi.restoreAllMocks();
    await engine.dispose();
  });

  it('with a forced backend, reports the failure instead of switching', async () => {
    const pack = await loadFixturePack();
    const engine = new InferenceEngine();
    await engine.init(pack, 'wasm');
    breakActiveBackend();
    await expect(engine.analyze('bmode', randomPixels(20, 20, 1))).rejects.toMatchObject({
      code: 'inference-failed',
      message: expect.stringMatching(/failed on the wasm backend .*Choose "auto"/),
    });
    vi.restoreAllMocks();
    await engine.dispose();
  });
});
