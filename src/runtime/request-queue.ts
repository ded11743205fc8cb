/**
 * The runtime's one queue. tfjs has one global active backend and one engine state, so nothing
 * that touches models may interleave: every request (init, analyse, dispose) and every piece of
 * idle work runs here, one at a time, in the order it was queued. Callers' requests are counted
 * while they wait, so idle work (background warm-up) always steps aside for them.
 */

export class RequestQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waitingRequests = 0;

  /** Requests queued but not started yet. */
  get waiting(): number {
    return this.waitingRequests;
  }

  /** A caller's request: runs after everything queued before it; idle work waits while it does. */
  request<T>(fn: () => Promise<T>): Promise<T> {
    this.waitingRequests++;
    let started = false;
    const begin = () => {
      if (!started) this.waitingRequests--;
      started = true;
    };
    return this.run(() => {
      begin();
      return fn();
    }).finally(begin);
  }

  /** Work of the runtime's own (idle work): queued like a request, but not counted as waiting. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    // A failed task must not stop the queue: the next one runs either way.
    const task = this.tail.then(fn, fn);
    this.tail = task.catch(() => undefined);
    return task;
  }
}

export interface IdleWork {
  /** False once there is nothing (left) to do, or the work no longer applies: the loop ends. */
  pending(): boolean;
  /** One small unit of work, run in the queue. Its failure ends nothing: the loop goes on. */
  step(): Promise<void>;
}

/**
 * Runs `work` one step at a time whenever no request is waiting, until `pending()` is false.
 * The first step waits `firstDelayMs` (a request sent as soon as the caller got its answer goes
 * first), later ones `delayMs`; each step is checked again once its turn in the queue has come.
 */
export function runWhenIdle(queue: RequestQueue, work: IdleWork, firstDelayMs = 150, delayMs = 30): void {
  const next = (wait: number): void => {
    setTimeout(() => {
      if (!work.pending()) return;
      if (queue.waiting > 0) return next(delayMs);
      void queue
        .run(async () => {
          if (work.pending() && queue.waiting === 0) await work.step();
        })
        .catch(() => undefined)
        .finally(() => next(delayMs));
    }, wait);
  };
  next(firstDelayMs);
}
