/**
 * The backend supervisor's decisions, with strategy objects that record what is asked of them:
 * no tfjs backend starts here, so every branch (precondition, configuration, smoke test, failed
 * load, device loss) can be made to happen on purpose.
 */

import { describe, expect, it } from 'vitest';
import type { BackendId } from '../../../src/domain';
import type { BackendHost, BackendStrategy } from '../../../src/runtime/backends/strategy';
import { BackendSupervisor, type ModelLoader } from '../../../src/runtime/backends/supervisor';
import { RuntimeError } from '../../../src/runtime/errors';

interface Script {
  unmet?: string;
  refuse?: string;
  smoke?: string;
}

function fakeStrategies(script: Partial<Record<BackendId, Script>>, calls: string[]) {
  const lost = new Map<BackendId, (reason: string) => void>();
  const strategies = (['webgpu', 'webgl', 'wasm', 'cpu'] as const).map((id): BackendStrategy => ({
    id,
    precondition: () => {
      calls.push(`${id}:precondition`);
      return script[id]?.unmet ?? null;
    },
    configure: async () => {
      calls.push(`${id}:configure`);
      return script[id]?.refuse ?? null;
    },
    smokeTest: async () => {
      calls.push(`${id}:smoke`);
      return script[id]?.smoke ?? null;
    },
    watchLoss: (onLost) => lost.set(id, onLost),
    attach: async () => void calls.push(`${id}:attach`),
    detach: () => void calls.push(`${id}:detach`),
  }));
  return { strategies, lost };
}

const host = { kernels: {} } as BackendHost;

function loader(calls: string[], failLoadOn: BackendId[] = []): ModelLoader {
  return {
    load: async (s) => {
      calls.push(`${s.id}:load`);
      if (failLoadOn.includes(s.id)) throw new Error(`out of memory on ${s.id}`);
    },
    unload: () => void calls.push('unload'),
  };
}

describe('backend supervisor', () => {
  it('tries the strategies in order: precondition, configure, smoke test, then attaches and loads', async () => {
    const calls: string[] = [];
    const { strategies } = fakeStrategies({ webgpu: { unmet: 'no adapter here' } }, calls);
    const sup = new BackendSupervisor(host, undefined, strategies);
    const { backend, skipped } = await sup.start('auto', loader(calls));
    expect(backend).toBe('webgl');
    expect(sup.active?.id).toBe('webgl');
    // A backend whose precondition fails is never configured.
    expect(calls).toEqual([
      'webgpu:precondition',
      'webgl:precondition',
      'webgl:configure',
      'webgl:smoke',
      'webgl:attach',
      'webgl:load',
    ]);
    expect(skipped).toEqual([{ backend: 'webgpu', reason: 'no adapter here' }]);
  });

  it('moves on when configuration or the smoke test fails, reporting each reason', async () => {
    const calls: string[] = [];
    const { strategies } = fakeStrategies(
      { webgpu: { refuse: 'requestAdapter() returned no adapter' }, webgl: { smoke: 'smoke test: wrong result' } },
      calls,
    );
    const { backend, skipped } = await new BackendSupervisor(host, undefined, strategies).start('auto', loader(calls));
    expect(backend).toBe('wasm');
    expect(skipped).toEqual([
      { backend: 'webgpu', reason: 'requestAdapter() returned no adapter' },
      { backend: 'webgl', reason: 'smoke test: wrong result' },
    ]);
    expect(calls).not.toContain('webgpu:smoke'); // a backend that did not configure is not smoke-tested
  });

  it('skips a backend whose models fail to load, and never picks it again in the session', async () => {
    const calls: string[] = [];
    const { strategies } = fakeStrategies({}, calls);
    const sup = new BackendSupervisor(host, undefined, strategies);
    const first = await sup.start('auto', loader(calls, ['webgpu']));
    expect(first.backend).toBe('webgl');
    expect(first.skipped).toEqual([{ backend: 'webgpu', reason: 'failed while loading the models: out of memory on webgpu' }]);
    expect(calls).toContain('unload');
    const again = await sup.start('auto', loader(calls));
    expect(again.backend).toBe('webgl');
    expect(again.skipped[0]).toEqual({
      backend: 'webgpu',
      reason: expect.stringMatching(/^failed earlier in this session \(failed while loading/),
    });
  });

  it('on device loss, falls back to the next backend, reloads, tells the host and reruns the task', async () => {
    const calls: string[] = [];
    const { strategies, lost } = fakeStrategies({}, calls);
    const changes: [BackendId, string][] = [];
    const sup = new BackendSupervisor(host, (b, r) => changes.push([b, r]), strategies);
    await sup.start('auto', loader(calls));
    lost.get('webgpu')!('WebGPU device lost (destroyed)');
    calls.length = 0;
    const ran: BackendId[] = [];
    const result = await sup.run(async (backend) => {
      ran.push(backend);
      return `answer from ${backend}`;
    }, loader(calls));
    expect(result).toBe('answer from webgl');
    expect(ran).toEqual(['webgl']); // the lost backend is not even tried
    expect(changes).toEqual([['webgl', 'webgpu failed: WebGPU device lost (destroyed)']]);
    expect(calls).toEqual([
      'unload',
      'webgl:precondition',
      'webgl:configure',
      'webgl:smoke',
      'webgpu:detach',
      'webgl:attach',
      'webgl:load',
    ]);
    // A loss reported later by the backend that was left says nothing about the new one.
    lost.get('webgpu')!('late report');
    expect(await sup.run(async (backend) => backend, loader(calls))).toBe('webgl');
  });

  it('falls back when the task itself fails, but passes caller errors through untouched', async () => {
    const calls: string[] = [];
    const { strategies } = fakeStrategies({}, calls);
    const sup = new BackendSupervisor(host, undefined, strategies);
    await sup.start('auto', loader(calls));
    const badInput = new RuntimeError('bad-input', 'no such model');
    await expect(sup.run(() => Promise.reject(badInput), loader(calls))).rejects.toBe(badInput);
    expect(sup.active?.id).toBe('webgpu');
    const r = await sup.run(async (b) => {
      if (b === 'webgpu') throw new Error('non-finite logits [NaN, NaN, NaN]');
      return b;
    }, loader(calls));
    expect(r).toBe('webgl');
  });

  it('with a forced backend, reports a failure instead of switching', async () => {
    const calls: string[] = [];
    const { strategies } = fakeStrategies({}, calls);
    const sup = new BackendSupervisor(host, undefined, strategies);
    expect((await sup.start('wasm', loader(calls))).backend).toBe('wasm');
    expect(calls.filter((c) => c.endsWith(':precondition'))).toEqual(['wasm:precondition']);
    await expect(sup.run(() => Promise.reject(new Error('driver error')), loader(calls))).rejects.toMatchObject({
      code: 'inference-failed',
      message: 'The analysis failed on the wasm backend (driver error). Choose "auto" to let the app use another backend.',
    });
  });

  it('says which backend failed and why no other works when the fallback finds none', async () => {
    const calls: string[] = [];
    const { strategies } = fakeStrategies({ wasm: { smoke: 'smoke test: non-finite output (NaN)' } }, calls);
    const sup = new BackendSupervisor(host, undefined, strategies.slice(2));
    await expect(sup.start('auto', loader(calls))).resolves.toMatchObject({ backend: 'cpu' });
    await expect(sup.run(() => Promise.reject(new Error('context lost')), loader(calls))).rejects.toMatchObject({
      code: 'inference-failed',
      message: expect.stringMatching(/^The cpu backend failed \(context lost\) and no other backend works: No compute backend/),
    });
    await expect(sup.run(async () => 1, loader(calls))).rejects.toMatchObject({ code: 'not-ready' });
  });
});
