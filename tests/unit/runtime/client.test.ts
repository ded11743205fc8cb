import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRuntimeClient, RuntimeRequestError, type WorkerLike } from '../../../src/runtime/client';
import type { BackendChangedMessage, ProgressMessage } from '../../../src/runtime/protocol';
import { createRequestHandler } from '../../../src/runtime/worker-handler';
import { diskFetch, fixtureManifestUrl, randomPixels } from './helpers';

type Listener = (event: Event) => void;

/**
 * An in-process stand-in for the worker: messages go through structuredClone with transfer in
 * both directions, as they would between threads, to the real request handler.
 */
class FakeWorker implements WorkerLike {
  private listeners = new Map<string, Listener[]>();
  terminated = false;
  readonly handle = createRequestHandler(
    (message, transfer = []) => {
      const copy = structuredClone(message, { transfer });
      setTimeout(() => this.emit('message', { data: copy }));
    },
    { fetchFn: diskFetch },
  );

  postMessage(message: unknown, transfer: Transferable[]): void {
    const copy = structuredClone(message, { transfer: transfer as Transferable[] });
    setTimeout(() => void this.handle(copy));
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  terminate(): void {
    this.terminated = true;
  }
  emit(type: string, event: Partial<Event> & Record<string, unknown>): void {
    for (const l of this.listeners.get(type) ?? []) l(event as unknown as Event);
  }
  /** Pretends the worker died: an error event, and no answer to anything pending. */
  crash(message: string): void {
    this.emit('error', { message });
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('runtime client', () => {
  it("initialises, analyses (keeping the caller's pixels), reports stats and disposes", async () => {
    const workers: FakeWorker[] = [];
    const client = createRuntimeClient(() => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    });
    const progress: ProgressMessage['stage'][] = [];
    const ready = await client.init(await fixtureManifestUrl(), 'cpu', (p) => progress.push(p.stage));
    expect(ready.backend).toBe('cpu');
    expect(progress).toContain('warmup');

    const pixels = randomPixels(40, 30, 3);
    const result = await client.analyze('elastography', pixels);
    expect(pixels.data.length).toBe(40 * 30 * 4); // not detached
    expect(result.cams).toHaveLength(3);
    expect(result.cams[0]).toBeInstanceOf(Float32Array);
    expect(result.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);

    const [a, b] = await Promise.all([client.analyze('bmode', pixels), client.analyze('cdfi', pixels)]);
    expect([a.modality, b.modality]).toEqual(['bmode', 'cdfi']);

    const stats = await client.stats();
    expect(stats.numTensors).toBeGreaterThan(0);
    const after = await client.dispose();
    expect(after.numTensors).toBeLessThan(stats.numTensors);
    expect(workers).toHaveLength(1);
    client.terminate();
    expect(workers[0]!.terminated).toBe(true);
    await expect(client.stats()).rejects.toMatchObject({ code: 'worker-terminated' });
  });

  it("rejects with the worker's error code and message", async () => {
    const client = createRuntimeClient(() => new FakeWorker());
    const failure = client.analyze('bmode', randomPixels(4, 4, 1));
    await expect(failure).rejects.toBeInstanceOf(RuntimeRequestError);
    await expect(failure).rejects.toMatchObject({ code: 'not-ready' });
    client.terminate();
  });

  it('rejects pending calls when the worker crashes, and init restarts a fresh worker', async () => {
    const workers: FakeWorker[] = [];
    const client = createRuntimeClient(() => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    });
    const crashes: string[] = [];
    client.onCrash((reason) => crashes.push(reason));
    const pending = client.init(await fixtureManifestUrl(), 'cpu');
    workers[0]!.crash('out of memory');
    await expect(pending).rejects.toMatchObject({ code: 'worker-crashed', message: expect.stringContaining('out of memory') });
    expect(crashes).toHaveLength(1);
    await expect(client.stats()).rejects.toMatchObject({ code: 'worker-crashed' });

    const ready = await client.init(await fixtureManifestUrl(), 'cpu');
    expect(ready.type).toBe('ready');
    expect(workers).toHaveLength(2);
    expect(workers[0]!.terminated).toBe(true);
    await client.dispose();
    client.terminate();
  });

  it('passes backend changes to listeners and ignores malformed responses', async () => {
    const worker = new FakeWorker();
    const client = createRuntimeClient(() => worker);
    const seen: BackendChangedMessage[] = [];
    const unsubscribe = client.onBackendChanged((m) => seen.push(m));
    client.restart(); // starts the worker so events can be emitted before any request
    const w = worker;
    w.emit('message', { data: { type: 'backend-changed', id: -1, backend: 'cpu', reason: 'webgpu failed: device lost' } });
    w.emit('message', { data: { nonsense: true } });
    expect(seen).toEqual([{ type: 'backend-changed', id: -1, backend: 'cpu', reason: 'webgpu failed: device lost' }]);
    unsubscribe();
    w.emit('message', { data: { type: 'backend-changed', id: -1, backend: 'wasm', reason: 'x' } });
    expect(seen).toHaveLength(1);
    client.terminate();
  });
});
