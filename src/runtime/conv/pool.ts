/**
 * The helper threads of the convolution kernels: the inference worker runs share 0 of every job
 * itself and hands the others to helpers that share the tfjs heap (cross-origin-isolated pages
 * only, where that heap is a SharedArrayBuffer).
 */
import {
  ARG_COUNT,
  argsAt,
  COMMAND,
  Command,
  controlBytes,
  DONE,
  FAILED,
  GENERATION,
  type HelperInit,
  type JobKind,
} from './control';

/** How long a job may take before the pool is declared broken (a helper died or never ran). */
const JOB_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 10_000;

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
    const control = new Int32Array(new SharedArrayBuffer(controlBytes(helpers)));
    const workers: Worker[] = [];
    try {
      for (let index = 0; index < helpers; index++) workers.push(spawn());
      await Promise.all(
        workers.map(
          (worker, index) =>
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
              const init: HelperInit = { module, memory, control: control.buffer as SharedArrayBuffer, index };
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

  get size(): number {
    return this.workers.length;
  }

  /**
   * Runs one job: `shares[i + 1]` on helper i while `local` runs `shares[0]` on this thread;
   * returns when every share is done. Synchronous, like every tfjs wasm kernel.
   */
  run(kind: JobKind, shares: readonly number[][], local: (args: number[]) => void): void {
    if (this.broken) throw new Error(this.broken);
    const c = this.control;
    const helpers = this.workers.length;
    if (shares.length !== helpers + 1) throw new Error('one share per thread expected');
    for (let i = 0; i < helpers; i++) {
      const args = shares[i + 1]!;
      if (args.length !== ARG_COUNT[kind]) throw new Error('bad convolution share');
      c.set(args, argsAt(i));
    }
    Atomics.store(c, DONE, 0);
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, COMMAND, Command[kind]);
    Atomics.add(c, GENERATION, 1);
    Atomics.notify(c, GENERATION);
    local(shares[0]!);
    const deadline = performance.now() + JOB_TIMEOUT_MS;
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(c, DONE);
      if (done >= helpers) break;
      if (spins > 2000) {
        Atomics.wait(c, DONE, done, 50);
        if (performance.now() > deadline) {
          this.broken = 'a convolution helper stopped responding';
          throw new Error(this.broken);
        }
      }
    }
    if (Atomics.load(c, FAILED)) throw new Error('a convolution helper failed');
  }

  dispose(): void {
    Atomics.store(this.control, COMMAND, Command.stop);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    for (const worker of this.workers) worker.terminate();
  }
}
