/**
 * The convolution helper pool with real threads: the browser helper script on Node worker threads
 * (a small shim, conv-pool/node-helper.mjs), the threaded kernel build on a shared memory of the
 * test's own. Items taken by several threads must give exactly the single-call output, and a
 * helper that fails must surface as an error, never as a hang or a silent wrong answer.
 */
import { Worker as NodeWorker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { cutItems } from '../../../src/runtime/conv/convolution';
import { HelperPool } from '../../../src/runtime/conv/pool';
import { createRng } from '../../../src/phantoms/rng';
import { loadKernelsFromDisk } from './helpers';

const SCRIPT = new URL('./conv-pool/node-helper.mjs', import.meta.url);

/** The part of the Web Worker API HelperPool uses, over a Node worker thread. */
class WebWorkerShim {
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  private readonly thread: NodeWorker;

  constructor(workerData: Record<string, unknown> = {}) {
    this.thread = new NodeWorker(SCRIPT, { workerData });
    this.thread.on('message', (data: unknown) => this.onmessage?.({ data } as MessageEvent));
    this.thread.on('error', (e: Error) => this.onerror?.({ message: e.message } as ErrorEvent));
  }

  postMessage(message: unknown): void {
    this.thread.postMessage(message);
  }

  terminate(): void {
    void this.thread.terminate();
  }
}

const pools: HelperPool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.dispose();
});

async function setUp(helpers: number, spawn = () => new WebWorkerShim() as unknown as Worker) {
  const memory = new WebAssembly.Memory({ initial: 128, maximum: 1024, shared: true });
  const module = await WebAssembly.compile(await loadKernelsFromDisk('kernels-threads.wasm'));
  const k = (await WebAssembly.instantiate(module, { env: { memory } })).exports as unknown as Record<
    string,
    (...a: number[]) => number
  >;
  const pool = await HelperPool.start(module, memory, helpers, spawn);
  pools.push(pool);
  return { memory, k, pool, f32: new Float32Array(memory.buffer) };
}

describe('convolution helper pool (worker threads)', () => {
  it('several threads taking items give exactly the single-call output', async () => {
    const { k, pool, f32 } = await setUp(2);
    expect(pool.threads).toBe(3);
    const [h, w, cin, cout] = [30, 26, 16, 32];
    const X = 65536;
    const W3 = X + h * w * cin * 4;
    const B = W3 + 9 * cin * cout * 4;
    const U = B + cout * 4;
    const P = U + k.wino_filter_size!(cin, cout) * 4;
    const works = [0, 1, 2].map((i) => P + k.direct_filter_size!(3, 3, cin, cout) * 4 + i * k.wino_work_size!(cin, cout) * 4);
    const Y1 = works[2]! + k.wino_work_size!(cin, cout) * 4;
    const Y2 = Y1 + h * w * cout * 4;
    const rng = createRng(21);
    for (let i = X / 4; i < U / 4; i++) f32[i] = rng.uniform(-1, 1);
    k.wino_transform_filter!(W3, U, cin, cout);
    k.direct_pack_filter!(W3, P, 3, 3, cin, cout);
    const tiles = Math.ceil(h / 2) * Math.ceil(w / 2);
    const ow = Math.floor((w - 3) / 2) + 1;
    const pixels = (Math.floor((h - 3) / 2) + 1) * ow;

    for (let round = 0; round < 5; round++) {
      const wino = [X, U, B, 0, works[0]!, h, w, cin, cout, 1];
      k.wino_conv!(...wino.map((v, i) => (i === 3 ? Y1 : v)), 0, tiles, 0, cout / 8);
      pool.run(
        'winograd',
        wino.map((v, i) => (i === 3 ? Y2 : v)),
        works,
        cutItems(tiles, cout / 8, 3),
        k.wino_conv!,
      );
      expect(Array.from(f32.subarray(Y2 / 4, Y2 / 4 + h * w * cout))).toEqual(
        Array.from(f32.subarray(Y1 / 4, Y1 / 4 + h * w * cout)),
      );

      const direct = [X, P, B, 0, w, cin, 3, 3, 2, ow, cout, round % 2];
      k.direct_conv!(...direct.map((v, i) => (i === 3 ? Y1 : v)), 0, pixels, 0, cout / 8);
      // Few pixels: split by channel blocks.
      pool.run(
        'direct',
        direct.map((v, i) => (i === 3 ? Y2 : v)),
        [],
        cutItems(pixels, cout / 8, 3),
        k.direct_conv!,
      );
      expect(Array.from(f32.subarray(Y2 / 4, Y2 / 4 + pixels * cout))).toEqual(
        Array.from(f32.subarray(Y1 / 4, Y1 / 4 + pixels * cout)),
      );
    }
  }, 60_000);

  it('an item that fails makes the job fail instead of hanging or answering wrong', async () => {
    const { memory, k, pool } = await setUp(1);
    const outOfBounds = memory.buffer.byteLength + 4096;
    // Every item reads far outside the memory: whichever thread takes one traps.
    const common = [outOfBounds, 65536, 0, 65536, 3, 8, 3, 3, 1, 1, 8, 0];
    const items = Array.from({ length: 64 }, (_, i) => [i, i + 1, 0, 1] as [number, number, number, number]);
    expect(() => pool.run('direct', common, [], items, k.direct_conv!)).toThrow();
  }, 60_000);

  it('a helper that does not start makes start() reject, with the reason', async () => {
    await expect(
      HelperPool.start(
        await WebAssembly.compile(await loadKernelsFromDisk('kernels-threads.wasm')),
        new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true }),
        1,
        () => new WebWorkerShim({ failToStart: true }) as unknown as Worker,
      ),
    ).rejects.toThrow(/refused to start/);
  }, 60_000);
});
