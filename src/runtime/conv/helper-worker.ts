/**
 * A convolution helper thread: runs its share of each convolution on the tfjs heap the inference
 * worker shares with it, then waits for the next one. After start-up it never returns to its event
 * loop: it blocks in Atomics.wait between jobs, as a native thread pool would.
 */
import { ARG_COUNT, argsAt, COMMAND, Command, DONE, FAILED, GENERATION, isHelperInit } from './control';

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
  const kernels = {
    [Command.winograd]: instance.exports.wino_conv as (...args: number[]) => void,
    [Command.direct]: instance.exports.direct_conv as (...args: number[]) => void,
  };
  const control = new Int32Array(init.control);
  const at = argsAt(init.index);
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
      const count = command === Command.winograd ? ARG_COUNT.winograd : ARG_COUNT.direct;
      kernels[command as 1 | 2](...Array.from(control.subarray(at, at + count)));
    } catch {
      Atomics.store(control, FAILED, 1);
    }
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
}

scope.addEventListener('message', (event: MessageEvent<unknown>) => serve(event.data), { once: true });
