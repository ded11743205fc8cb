/**
 * The page side of the imaging worker: a decode that never answers is abandoned after its time
 * limit with a clear error, the stuck worker is terminated, and the next file gets a fresh worker.
 * A fake Worker stands in for the browser's.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ImageInputError } from '../../../src/imaging/errors';

interface Posted {
  id: number;
  name: string;
}

class FakeWorker {
  static made: FakeWorker[] = [];
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string; preventDefault(): void }) => void) | null = null;
  terminated = false;
  stuck = false;
  posted: Posted[] = [];
  constructor() {
    FakeWorker.made.push(this);
  }
  postMessage(msg: Posted): void {
    this.posted.push(msg);
    // Files named "hang…" never answer, and like a real worker, nothing behind them does either.
    if (msg.name.startsWith('hang')) this.stuck = true;
    if (this.stuck) return;
    queueMicrotask(() =>
      this.onmessage?.({
        data: {
          id: msg.id,
          ok: true,
          image: {
            pixels: { width: 1, height: 1, data: new Uint8ClampedArray(4) },
            sourceWidth: 1,
            sourceHeight: 1,
            downscaled: false,
            kind: 'png',
          },
        },
      }),
    );
  }
  terminate(): void {
    this.terminated = true;
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
  FakeWorker.made = [];
});

describe('imaging worker time limit', () => {
  it('abandons a hung decode, terminates the worker and serves the next file from a fresh one', async () => {
    vi.stubGlobal('window', {});
    vi.stubGlobal('Worker', FakeWorker);
    const { decodeImageFile } = await import('../../../src/imaging/decode');
    const file = new Blob([new Uint8Array([1, 2, 3])]);

    const hung = decodeImageFile(file, 'hang.png', { timeoutMs: 50 });
    const queued = decodeImageFile(file, 'ok-behind.png', { timeoutMs: 5000 });
    const err = await hung.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageInputError);
    expect((err as ImageInputError).code).toBe('decode-timeout');
    expect((err as ImageInputError).fileName).toBe('hang.png');
    expect(FakeWorker.made[0]!.terminated).toBe(true);

    // The file queued behind the stuck one is sent again to a new worker and decodes.
    expect((await queued).pixels.width).toBe(1);
    expect(FakeWorker.made.length).toBe(2);
    expect(FakeWorker.made[1]!.terminated).toBe(false);
    expect((await decodeImageFile(file, 'next.png')).kind).toBe('png');
    expect(FakeWorker.made.length).toBe(2);
  });

  it('turns a crashed worker into a clear error for the files in flight', async () => {
    vi.stubGlobal('window', {});
    vi.stubGlobal('Worker', FakeWorker);
    const { decodeImageFile } = await import('../../../src/imaging/decode');
    const p = decodeImageFile(new Blob([new Uint8Array([1])]), 'hang-crash.png', { timeoutMs: 5000 });
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    FakeWorker.made[0]!.onerror?.({ message: 'out of memory', preventDefault() {} });
    const err = (await p.catch((e: unknown) => e)) as ImageInputError;
    expect(err.code).toBe('decode-failed');
    expect(err.detail).toContain('out of memory');
  });
});
