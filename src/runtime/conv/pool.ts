/**
 * The helper threads of the convolution kernels: the inference worker and its helpers (workers
 * that share the tfjs heap, on cross-origin-isolated pages only) take the items of each job from a
 * shared counter (control.ts).
 */
import {
  COMMAND,
  COMMON,
  COMMON_ARGS,
  Command,
  CONTROL_BYTES,
  DONE,
  FAILED,
  GENERATION,
  itemAt,
  ITEMS,
  MAX_ITEMS,
  MAX_THREADS,
  NEXT,
  takeItems,
  workAt,
  type HelperInit,
  type JobKind,
} from './control';

/** How long a job may take before the pool is declared broken (a helper died or never ran). */
const JOB_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 10_000;

export type Item = [start: number, end: number, block0: number, block1: number];

export class HelperPool {
  private broken: string | null = null;

  private constructor(
    private readonly workers: Worker[],
    private readonly control: Int32Array,
  ) {}

  /** Starts `helpers` threads; rejects if any does not come up. */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    helpers: number,
    spawn: () => Worker,
  ): Promise<HelperPool> {
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
    const workers: Worker[] = [];
    try {
      for (let index = 1; index <= Math.min(helpers, MAX_THREADS - 1); index++) workers.push(spawn());
      await Promise.all(
        workers.map(
          (worker, i) =>
            new Promise<void>((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error('a convolution helper did not start')), START_TIMEOUT_MS);
              worker.onmessage = (event: MessageEvent<{ ready?: boolean; error?: string }>) => {
                clearTimeout(timer);
                if (event.data.ready) resolve();
                else reject(new Error(`convolution helper: ${event.data.error ?? 'unknown failure'}`));
              };
              worker.onerror = (event) => {
                clearTimeout(timer);
                reject(new Error(`convolution helper: ${event.message || 'failed to load'}`));
              };
              const init: HelperInit = { module, memory, control: control.buffer, index: i + 1 };
              worker.postMessage(init);
            }),
        ),
      );
    } catch (e) {
      for (const worker of workers) worker.terminate();
      throw e;
    }
    return new HelperPool(workers, control);
  }

  /** Threads in all, the inference worker included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs one job: `common` are the kernel's arguments before the item's four, `work` each thread's
   * scratch pointer (Winograd), `items` the ranges to cover. Returns when every item is done.
   * Synchronous, like every tfjs wasm kernel.
   */
  run(kind: JobKind, common: number[], work: number[], items: Item[], kernel: (...args: number[]) => void): void {
    if (this.broken) throw new Error(this.broken);
    if (common.length !== COMMON_ARGS[kind] || items.length > MAX_ITEMS) throw new Error('bad convolution job');
    const c = this.control;
    c.set(common, COMMON);
    work.forEach((ptr, thread) => (c[workAt(thread)] = ptr));
    items.forEach((item, i) => c.set(item, itemAt(i)));
    Atomics.store(c, ITEMS, items.length);
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, COMMAND, Command[kind]);
    Atomics.add(c, GENERATION, 1);
    Atomics.notify(c, GENERATION);
    let local: Error | null = null;
    try {
      takeItems(c, kind, 0, kernel);
    } catch (e) {
      // Stop handing out items, but let the helpers finish what they hold before anyone reuses
      // the memory they write.
      Atomics.store(c, NEXT, items.length);
      local = e instanceof Error ? e : new Error(`convolution failed: ${String(e)}`);
    }
    this.waitForHelpers();
    if (local) throw local;
    if (Atomics.load(c, FAILED)) throw new Error('a convolution helper failed');
  }

  private waitForHelpers(): void {
    const c = this.control;
    const helpers = this.workers.length;
    const deadline = performance.now() + JOB_TIMEOUT_MS;
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(c, DONE);
      if (done >= helpers) return;
      if (spins > 2000) {
        Atomics.wait(c, DONE, done, 50);
        if (performance.now() > deadline) {
          // A helper that never reports back may still write later: the pool must not be used
          // again (the caller disposes it, which terminates the workers).
          this.broken = 'a convolution helper stopped responding';
          throw new Error(this.broken);
        }
      }
    }
  }

  dispose(): void {
    Atomics.store(this.control, COMMAND, Command.stop);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    for (const worker of this.workers) worker.terminate();
  }
}
