/** The page's side of the adaptation worker: one typed call, its answer validated. */

import { isAdaptResponse, type AdaptRequest, type AdaptResponse } from './adapt-protocol';

export type Adapted = Extract<AdaptResponse, { type: 'adapted' }>;

export interface AdaptClient {
  adapt(req: Omit<AdaptRequest, 'type' | 'id'>): Promise<Adapted>;
  dispose(): void;
}

export function createAdaptClient(
  worker: Worker = new Worker(new URL('./adapt-worker.ts', import.meta.url), { type: 'module', name: 'lymphscope-adapt' }),
): AdaptClient {
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: Adapted) => void; reject: (e: Error) => void }>();
  worker.addEventListener('message', (e: MessageEvent<unknown>) => {
    const d = e.data;
    if (!isAdaptResponse(d)) {
      const id = (d as { id?: unknown } | null)?.id;
      const p = typeof id === 'number' ? pending.get(id) : undefined;
      if (p) {
        pending.delete(id as number);
        p.reject(new Error('The adaptation worker sent a malformed answer.'));
      }
      return;
    }
    const p = pending.get(d.id);
    pending.delete(d.id);
    if (d.type === 'error') p?.reject(new Error(d.message));
    else p?.resolve(d);
  });
  worker.addEventListener('error', (e) => {
    for (const p of pending.values()) p.reject(new Error(`The adaptation worker stopped (${e.message || 'out of memory?'}).`));
    pending.clear();
  });
  return {
    adapt(body) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage(
          { type: 'adapt', id, ...body } satisfies AdaptRequest,
          body.features.map((f) => f.buffer as ArrayBuffer),
        );
      });
    },
    dispose() {
      worker.terminate();
      for (const p of pending.values()) p.reject(new Error('The adaptation worker was stopped.'));
      pending.clear();
    },
  };
}
