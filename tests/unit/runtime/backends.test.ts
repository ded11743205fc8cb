import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../../../src/runtime/backends/registry';
import { smokeTest } from '../../../src/runtime/backends/smoke';
import { BackendSupervisor, type ModelLoader } from '../../../src/runtime/backends/supervisor';
import { RuntimeError } from '../../../src/runtime/errors';
import { WasmKernelInstaller } from '../../../src/runtime/wasm-kernels';
import { BACKEND_IDS } from '../../../src/domain';

/** The real strategies, as the engine runs them, without the app's kernels and without models. */
function supervisor(strategies = STRATEGIES) {
  return new BackendSupervisor({ kernels: new WasmKernelInstaller(undefined, false) }, undefined, strategies);
}
const noModels: ModelLoader = { load: async () => undefined, unload: () => undefined };

describe('backend selection with the real strategies (Node: no WebGPU, no WebGL)', () => {
  it('registers one strategy per backend id, in the order automatic choice tries them', () => {
    expect(STRATEGIES.map((s) => s.id)).toEqual([...BACKEND_IDS]);
  });

  it('skips webgpu and webgl with their reasons and picks wasm', async () => {
    const { backend, skipped } = await supervisor().start('auto', noModels);
    expect(backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(skipped.map((s) => s.backend)).toEqual(['webgpu', 'webgl']);
    expect(skipped[0]!.reason).toMatch(/navigator\.gpu missing/);
    expect(skipped[1]!.reason).toMatch(/canvas|not registered/);
  });

  it('uses cpu when wasm is not a candidate', async () => {
    const { backend, skipped } = await supervisor(STRATEGIES.filter((s) => s.id !== 'wasm')).start('auto', noModels);
    expect(backend).toBe('cpu');
    expect(skipped.map((s) => s.backend)).toEqual(['webgpu', 'webgl']);
  });

  it('tries only a forced backend and says clearly when it does not work', async () => {
    const attempt = supervisor().start('webgl', noModels);
    await expect(attempt).rejects.toBeInstanceOf(RuntimeError);
    await expect(attempt).rejects.toMatchObject({
      code: 'no-backend',
      message: expect.stringMatching(/^The webgl backend does not work on this device \(webgl: .+\)\. Choose "auto"/),
    });
    expect((await supervisor().start('cpu', noModels)).backend).toBe('cpu');
  });

  it('reports "no-backend" when nothing works', async () => {
    const gpuOnly = STRATEGIES.filter((s) => s.id === 'webgpu' || s.id === 'webgl');
    await expect(supervisor(gpuOnly).start('auto', noModels)).rejects.toMatchObject({
      code: 'no-backend',
      message: expect.stringMatching(/No compute backend works on this device \(webgpu: .*; webgl: .*\)/),
    });
  });

  it('smoke-tests the active backend against a JavaScript reference without leaking', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    expect(await smokeTest()).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
  });
});
