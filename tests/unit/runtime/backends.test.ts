import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backendsAfter, selectBackend, smokeTest } from '../../../src/runtime/backends';
import { RuntimeError } from '../../../src/runtime/errors';

describe('backend selection (Node: no WebGPU, no WebGL)', () => {
  it('skips webgpu and webgl with their reasons and picks wasm', async () => {
    const { backend, skipped } = await selectBackend('auto');
    expect(backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(skipped.map((s) => s.backend)).toEqual(['webgpu', 'webgl']);
    expect(skipped[0]!.reason).toMatch(/navigator\.gpu missing/);
    expect(skipped[1]!.reason).toMatch(/canvas|not registered/);
  });

  it('uses cpu when wasm is not a candidate', async () => {
    const { backend, skipped } = await selectBackend('auto', {}, ['webgl', 'cpu']);
    expect(backend).toBe('cpu');
    expect(skipped).toHaveLength(1);
  });

  it('tries only a forced backend and says clearly when it does not work', async () => {
    const attempt = selectBackend('webgl');
    await expect(attempt).rejects.toBeInstanceOf(RuntimeError);
    await expect(attempt).rejects.toMatchObject({
      code: 'no-backend',
      message: expect.stringMatching(/^The webgl backend does not work on this device \(webgl: .+\)\. Choose "auto"/),
    });
    expect((await selectBackend('cpu')).backend).toBe('cpu');
  });

  it('reports "no-backend" when nothing works', async () => {
    await expect(selectBackend('auto', {}, ['webgpu', 'webgl'])).rejects.toMatchObject({
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

  it('orders fallbacks after the failed backend', () => {
    expect(backendsAfter('webgpu')).toEqual(['webgl', 'wasm', 'cpu']);
    expect(backendsAfter('cpu')).toEqual([]);
  });
});
