/**
 * The UI state classes over the real runtime: the real client (src/runtime) talking to the real
 * request handler and engine on tfjs's CPU backend, in this process instead of a Web Worker, with
 * the fixture pack; and the real case history on an in-memory IndexedDB. `hold` keeps analysis
 * requests back until `release`, so a test can act while an analysis is in flight (`holdingFinder`
 * does the same for node-finder requests).
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import type { DecodedImage } from '../../../../src/imaging';
import type { Decoder } from '../../../../src/ui/state/slot.svelte';
import { createRuntimeClient, type WorkerLike } from '../../../../src/runtime';
import { createRequestHandler } from '../../../../src/runtime/worker-handler';
import { HistoryState } from '../../../../src/ui/components/history/history.svelte';
import { AppState } from '../../../../src/ui/state/app.svelte';
import { diskFetch, fixtureManifestUrl, randomPixels } from '../../runtime/helpers';

export class InProcessWorker implements WorkerLike {
  private listeners: ((e: Event) => void)[] = [];
  private held: unknown[] = [];
  holding = false;
  holdingFinder = false;
  /** Types of the answers delivered so far, in order. */
  readonly delivered: string[] = [];
  private readonly handle = createRequestHandler(
    (message) => {
      // Like a worker: answers arrive as separate tasks, never inside the caller's stack.
      setTimeout(() => {
        this.delivered.push((message as { type: string }).type);
        for (const l of this.listeners) l(new MessageEvent('message', { data: message }));
      }, 0);
    },
    { fetchFn: diskFetch },
  );

  postMessage(message: unknown): void {
    const copy = structuredClone(message);
    const type = (copy as { type?: string }).type;
    if ((this.holding && type === 'analyze') || (this.holdingFinder && type === 'find-node')) this.held.push(copy);
    else void this.handle(copy);
  }
  addEventListener(type: string, listener: (e: Event) => void): void {
    if (type === 'message') this.listeners.push(listener);
  }
  terminate(): void {
    this.listeners = [];
  }
  release(): void {
    this.holding = false;
    this.holdingFinder = false;
    for (const m of this.held.splice(0)) void this.handle(m);
  }
  get heldCount(): number {
    return this.held.length;
  }
}

export interface Harness {
  app: AppState;
  worker: InProcessWorker;
}

/**
 * A started app: fixture pack (or the pack at `manifestUrl`) loaded on the CPU backend, empty
 * history open; `decode` stands in for the imaging worker's decoder.
 */
export async function startApp(opts: { manifestUrl?: string; decode?: Decoder } = {}): Promise<Harness> {
  globalThis.indexedDB = new IDBFactory();
  const worker = new InProcessWorker();
  const history = new HistoryState(1000);
  const app = new AppState({
    indexUrl: 'file:///unused/index.json',
    client: createRuntimeClient(() => worker),
    history,
    decode: opts.decode,
  });
  app.runtime.backendChoice = 'cpu';
  await app.runtime.load(opts.manifestUrl ?? (await fixtureManifestUrl()));
  if (app.runtime.phase !== 'ready') throw new Error(`runtime not ready: ${JSON.stringify(app.runtime.error)}`);
  await history.open();
  return { app, worker };
}

/** An image as the decoder would give it (`kind` as sniffed: png, jpeg, dicom…). */
export function decoded(seed: number, kind = 'png', width = 96, height = 72): DecodedImage {
  return { pixels: randomPixels(width, height, seed), sourceWidth: width, sourceHeight: height, downscaled: false, kind };
}

/** Resolves once `cond` holds (state changes land on later tasks, as in the page). */
export async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
