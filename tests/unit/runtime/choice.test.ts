/**
 * Automatic backend choice (src/runtime/backends/choice.ts) with stand-in strategies: what each
 * GPU's probe says and how long each backend takes are set per test, so every rule can be made to
 * decide on purpose. The supervisor is the real one.
 */

import { describe, expect, it } from 'vitest';
import type { BackendId } from '../../../src/domain';
import {
  arrangeAuto,
  rememberChoice,
  rememberFallback,
  type ChoiceContext,
  type ChoiceMemory,
  type Measure,
  type RememberedChoice,
} from '../../../src/runtime/backends/choice';
import type { BackendHost, BackendProbe, BackendStrategy } from '../../../src/runtime/backends/strategy';
import { BackendSupervisor, type ModelLoader } from '../../../src/runtime/backends/supervisor';
import { namesSoftwareDevice } from '../../../src/runtime/backends/strategy';
import { cpuStrategy } from '../../../src/runtime/backends/cpu';
import { timeSmallInference } from '../../../src/runtime/backends/timing';

const host = { kernels: {} } as BackendHost;
const UA = 'Browser/1.0';
const PACK = 'pack@1.0.0';

interface Stand {
  probe?: BackendProbe;
  unmet?: string;
}

function strategies(stand: Partial<Record<BackendId, Stand>>): BackendStrategy[] {
  return (['webgpu', 'webgl', 'wasm', 'cpu'] as const).map((id): BackendStrategy => {
    const gpu = id === 'webgpu' || id === 'webgl';
    const probe = stand[id]?.probe;
    return {
      id,
      ...(gpu ? { gpu: true } : {}),
      ...(probe ? { probe: async () => probe } : {}),
      precondition: () => stand[id]?.unmet ?? null,
      configure: async () => null,
      smokeTest: async () => null,
      watchLoss: () => undefined,
    };
  });
}

const software = (detail: string): Stand => ({ probe: { software: true, detail } });
const hardware = (detail: string): Stand => ({ probe: { software: false, detail } });
const unknown: Stand = { probe: { software: null, detail: 'adapter without a name' } };

function timings(ms: Partial<Record<BackendId, number | string>>, measured: BackendId[] = []): Measure {
  return async (s) => {
    measured.push(s.id);
    return ms[s.id] ?? 'not timed in this test';
  };
}

function memory(initial: Record<string, RememberedChoice> = {}) {
  const store = new Map(Object.entries(initial));
  const m: ChoiceMemory = {
    load: async (key) => store.get(key) ?? null,
    save: async (key, choice) => void store.set(key, choice),
  };
  return { m, store };
}

const ctx = (mem: ChoiceMemory | null, userAgent = UA): ChoiceContext => ({ userAgent, packKey: PACK, memory: mem });
const ids = (order: BackendStrategy[]) => order.map((s) => s.id);

describe('automatic backend choice', () => {
  it('puts software GPUs after wasm without timing anything', async () => {
    const measured: BackendId[] = [];
    const { order, decision } = await arrangeAuto(
      strategies({ webgpu: software('WebGPU fallback adapter'), webgl: software('WebGL renderer SwiftShader') }),
      host,
      ctx(null),
      timings({}, measured),
    );
    expect(ids(order)).toEqual(['wasm', 'webgpu', 'webgl', 'cpu']);
    expect(measured).toEqual([]);
    expect(decision.basis).toBe('probed');
    expect(decision.notes.join('\n')).toMatch(/webgl: WebGL renderer SwiftShader \(software: after wasm\)/);
  });

  it('keeps a real GPU first, untimed', async () => {
    const measured: BackendId[] = [];
    const { order } = await arrangeAuto(
      strategies({ webgpu: hardware('nvidia / ampere'), webgl: software('llvmpipe') }),
      host,
      ctx(null),
      timings({}, measured),
    );
    expect(ids(order)).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
    expect(measured).toEqual([]);
  });

  it('times the GPUs it cannot classify against wasm and puts the fastest first', async () => {
    const measured: BackendId[] = [];
    const { order, decision } = await arrangeAuto(
      strategies({ webgpu: unknown, webgl: unknown }),
      host,
      ctx(null),
      timings({ webgpu: 90, webgl: 12, wasm: 30 }, measured),
    );
    expect(measured).toEqual(['webgpu', 'webgl', 'wasm']);
    expect(ids(order)).toEqual(['webgl', 'wasm', 'webgpu', 'cpu']);
    expect(decision.basis).toBe('measured');
    expect(decision.notes.at(-1)).toBe('measured: webgpu 90 ms, webgl 12 ms, wasm 30 ms');
  });

  it('a GPU that cannot be timed goes after the ones that could', async () => {
    const { order } = await arrangeAuto(
      strategies({ webgpu: unknown }),
      host,
      ctx(null),
      timings({ webgpu: 'smoke test: wrong result', wasm: 40 }),
    );
    expect(ids(order)).toEqual(['wasm', 'webgpu', 'webgl', 'cpu']);
  });

  it('never probes or times an unavailable backend, and leaves it in front to be reported', async () => {
    const measured: BackendId[] = [];
    const { order, decision } = await arrangeAuto(
      strategies({ webgpu: { unmet: 'navigator.gpu missing' }, webgl: { unmet: 'no canvas' } }),
      host,
      ctx(null),
      timings({}, measured),
    );
    expect(ids(order)).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    expect(measured).toEqual([]);
    expect(decision).toEqual({ basis: 'order', notes: [] });
  });

  it('uses the remembered choice for the same browser and pack, without probing or timing', async () => {
    const measured: BackendId[] = [];
    let probed = false;
    const list = strategies({ webgpu: unknown });
    list[0]!.probe = async () => ((probed = true), { software: null, detail: '' });
    const { m } = memory({ [PACK]: { userAgent: UA, backend: 'wasm', notes: ['measured: webgpu 90 ms, wasm 30 ms'] } });
    const { order, decision } = await arrangeAuto(list, host, ctx(m), timings({}, measured));
    expect(ids(order)).toEqual(['wasm', 'webgpu', 'webgl', 'cpu']);
    expect(measured).toEqual([]);
    expect(probed).toBe(false);
    expect(decision.basis).toBe('remembered');
    expect(decision.notes).toEqual(['wasm remembered for this browser and pack', 'measured: webgpu 90 ms, wasm 30 ms']);
  });

  it('measures again when the user agent changed (a browser update), and remembers the new result', async () => {
    const measured: BackendId[] = [];
    const { m, store } = memory({ [PACK]: { userAgent: 'Browser/0.9', backend: 'wasm', notes: [] } });
    const arrangement = await arrangeAuto(
      strategies({ webgpu: unknown, webgl: software('SwiftShader') }),
      host,
      ctx(m),
      timings({ webgpu: 5, wasm: 30 }, measured),
    );
    expect(measured).toEqual(['webgpu', 'wasm']);
    expect(ids(arrangement.order)[0]).toBe('webgpu');
    expect(arrangement.decision.notes[0]).toMatch(/browser changed/);
    await rememberChoice(ctx(m), 'webgpu', arrangement);
    expect(store.get(PACK)).toEqual({ userAgent: UA, backend: 'webgpu', notes: arrangement.decision.notes });
  });

  it('a remembered choice is per pack: another pack decides afresh', async () => {
    const measured: BackendId[] = [];
    const { m } = memory({ 'other@2.0.0': { userAgent: UA, backend: 'webgl', notes: [] } });
    const { decision } = await arrangeAuto(
      strategies({ webgpu: unknown, webgl: software('SwiftShader') }),
      host,
      ctx(m),
      timings({ webgpu: 5, wasm: 9 }, measured),
    );
    expect(decision.basis).toBe('measured');
    expect(measured).toEqual(['webgpu', 'wasm']);
  });

  it('replaces a remembered choice that failed with the backend that came up', async () => {
    const { m, store } = memory({ [PACK]: { userAgent: UA, backend: 'webgpu', notes: [] } });
    const arrangement = await arrangeAuto(strategies({}), host, ctx(m), timings({}));
    await rememberChoice(ctx(m), 'webgpu', arrangement);
    expect(store.get(PACK)?.notes).toEqual([]); // unchanged: it came up again
    await rememberChoice(ctx(m), 'wasm', arrangement);
    expect(store.get(PACK)?.backend).toBe('wasm');
  });

  it('remembers the backend a mid-session fallback moved to, and a failing store changes nothing', async () => {
    const { m, store } = memory({ [PACK]: { userAgent: UA, backend: 'webgpu', notes: [] } });
    await rememberFallback(ctx(m), 'wasm', 'webgpu failed: device lost');
    expect(store.get(PACK)).toEqual({ userAgent: UA, backend: 'wasm', notes: ['moved to wasm: webgpu failed: device lost'] });
    const broken: ChoiceMemory = {
      load: () => Promise.reject(new Error('no store')),
      save: () => Promise.reject(new Error('full')),
    };
    await expect(rememberFallback(ctx(broken), 'wasm', 'x')).resolves.toBeUndefined();
    // An unreadable store: decided afresh, as if nothing were remembered.
    const { decision } = await arrangeAuto(strategies({ webgpu: hardware('nvidia') }), host, ctx(broken), timings({ wasm: 1 }));
    expect(decision.basis).toBe('measured'); // webgl has no probe here: timed
  });

  it('recognises software rasterisers by name', () => {
    for (const name of [
      'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
      'llvmpipe (LLVM 15.0.6, 256 bits)',
      'Microsoft Basic Render Driver',
      'google / swiftshader',
    ]) {
      expect(namesSoftwareDevice(name), name).toBe(true);
    }
    expect(namesSoftwareDevice('ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)')).toBe(false);
  });
});

describe('the supervisor with automatic choice', () => {
  const loader = (loaded: BackendId[]): ModelLoader => ({
    load: async (s) => void loaded.push(s.id),
    unload: () => undefined,
  });

  it('follows the arranged order in auto, and falls back along it', async () => {
    const list = strategies({ webgpu: software('fallback'), webgl: software('SwiftShader') });
    const sup = new BackendSupervisor(host, undefined, list);
    const loaded: BackendId[] = [];
    const arrange = async (c: BackendStrategy[]) => (await arrangeAuto(c, host, ctx(null), timings({}))).order;
    expect((await sup.start('auto', loader(loaded), arrange)).backend).toBe('wasm');
    // wasm fails during an analysis: the next in the arranged order is webgpu, not cpu.
    let first = true;
    const result = await sup.run(async (b) => {
      if (first) {
        first = false;
        throw new Error('driver error');
      }
      return b;
    }, loader(loaded));
    expect(result).toBe('webgpu');
  });

  it('a forced backend wins: the arrangement is not consulted', async () => {
    const sup = new BackendSupervisor(host, undefined, strategies({ webgl: software('SwiftShader') }));
    let consulted = false;
    const arrange = async (c: BackendStrategy[]) => ((consulted = true), c.slice().reverse());
    expect((await sup.start('webgl', loader([]), arrange)).backend).toBe('webgl');
    expect(consulted).toBe(false);
  });
});

describe('the timed inference', () => {
  it('runs on a real backend (tfjs cpu) and gives a time', async () => {
    const t = await timeSmallInference(cpuStrategy, host);
    expect(typeof t).toBe('number');
    expect(t).toBeGreaterThan(0);
  }, 60_000);

  it('reports why a backend could not be timed instead of a time', async () => {
    const refusing: BackendStrategy = { ...cpuStrategy, smokeTest: async () => 'smoke test: wrong result' };
    expect(await timeSmallInference(refusing, host)).toBe('smoke test: wrong result');
    const throwing: BackendStrategy = { ...cpuStrategy, configure: () => Promise.reject(new Error('context lost')) };
    expect(await timeSmallInference(throwing, host)).toBe('exception: context lost');
  });
});
