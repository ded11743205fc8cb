/**
 * Page side of the outline worker. In the page the seeded segmentation runs in its own small
 * worker (a click must never freeze the UI); where workers do not exist (Node tests) it runs in
 * the current thread. One request at a time is enough: a newer click supersedes an older one in
 * the caller.
 */

import type { RgbaImage } from './resize';
import type { Rect } from './roi';
import { outlineFromSeed, type SeedOutline } from './segment';

export interface OutlineRequest {
  id: number;
  width: number;
  height: number;
  data: ArrayBuffer;
  seed: { x: number; y: number };
  area?: Rect;
}

export type OutlineResponse = { id: number; result: SeedOutline } | { id: number; error: string };

/** Longer than any outline should take (≤ 2 s measured): past it the worker is replaced. */
export const OUTLINE_TIMEOUT_MS = 10_000;

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<
  number,
  { resolve: (r: SeedOutline) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }
>();

function outlineWorker(): Worker | null {
  if (typeof Worker === 'undefined') return null;
  if (!worker) {
    worker = new Worker(new URL('./outline-worker.ts', import.meta.url), { type: 'module', name: 'lymphscope-outline' });
    worker.onmessage = (e: MessageEvent<OutlineResponse>) => {
      const p = pending.get(e.data.id);
      if (!p) return;
      pending.delete(e.data.id);
      clearTimeout(p.timer);
      if ('result' in e.data) p.resolve(e.data.result);
      else p.reject(new Error(e.data.error));
    };
  }
  return worker;
}

/** The outline of the structure around `seed`, computed off the UI thread where possible. */
export function outlineOffThread(img: RgbaImage, seed: { x: number; y: number }, area?: Rect): Promise<SeedOutline> {
  const w = outlineWorker();
  if (!w) return Promise.resolve(outlineFromSeed(img, seed, area));
  const id = nextId++;
  return new Promise<SeedOutline>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      worker?.terminate();
      worker = null;
      reject(new Error('outline timed out'));
    }, OUTLINE_TIMEOUT_MS);
    pending.set(id, { resolve, reject, timer });
    // Copied, not transferred: the slot keeps its pixels.
    const data = img.data.slice().buffer;
    const req: OutlineRequest = { id, width: img.width, height: img.height, data, seed, ...(area ? { area } : {}) };
    w.postMessage(req, [data]);
  });
}
