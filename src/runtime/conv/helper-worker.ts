/**
 * A convolution helper thread: takes items of each convolution (control.ts) and runs them on the
 * tfjs heap the inference worker shares with it, then waits for the next job. After start-up it
 * never returns to its event loop: it blocks in Atomics.wait between jobs, as a native thread pool
 * would.
 */
import { COMMAND, Command, DONE, FAILED, GENERATION, isHelperInit, takeItems } from './control';

/**
 * How long to poll before sleeping. In a ResNet the next convolution usually follows within a few
 * hundred microseconds (an addition and a ReLU in between), and waking a sleeping thread costs about
 * as much again; measured: polling ≈ 10 µs gave 64 ms per ResNet-18 pass, ≈ 0.5 ms gave 55 ms.
 */
const SPIN_MS = 0.5;

const scope = self as unknown as DedicatedWorkerGlobalScope;

function serve(init: unknown): void {
  if (!isHelperInit(init)) {
    scope.postMessage({ error: 'bad init message' });
    return;
  }
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const winograd = instance.exports.wino_conv as (...args: number[]) => void;
  const direct = instance.exports.direct_conv as (...args: number[]) => void;
  // Only the Relaxed SIMD builds have it; the inference worker sends int8 jobs only then.
  const int8 = instance.exports.q8_conv as ((...args: number[]) => void) | undefined;
  const control = new Int32Array(init.control);
  let seen = Atomics.load(control, GENERATION);
  scope.postMessage({ ready: true });
  for (;;) {
    const idleSince = performance.now();
    while (Atomics.load(control, GENERATION) === seen) {
      if (performance.now() - idleSince > SPIN_MS) Atomics.wait(control, GENERATION, seen);
    }
    seen = Atomics.load(control, GENERATION);
    const command = Atomics.load(control, COMMAND);
    if (command === Command.stop) {
      scope.close();
      return;
    }
    try {
      if (command === Command.winograd) takeItems(control, 'winograd', init.index, winograd);
      else if (command === Command.int8 && int8) takeItems(control, 'int8', init.index, int8);
      else if (command === Command.direct) takeItems(control, 'direct', init.index, direct);
      else throw new Error(`unknown convolution command ${command}`);
    } catch {
      Atomics.store(control, FAILED, 1);
    }
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
}

scope.addEventListener('message', (event: MessageEvent<unknown>) => serve(event.data), { once: true });
