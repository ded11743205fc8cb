/**
 * The benchmark's inference worker (bench/page/main.ts): the app's worker, except that its first
 * message is a `TuningMessage` switching optimisations off one at a time (bench/README.md,
 * `--ablations`). The app never creates it, so no tuning can reach the app's worker.
 */

import { APP_TUNING, parseTuning } from './tuning';
import { createWorkerHandler, workerScope } from './worker-host';

let handle: ((data: unknown) => Promise<void>) | null = null;

workerScope.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (handle) return void handle(event.data);
  const data = event.data as { type?: unknown; tuning?: unknown } | null;
  if (data?.type !== 'tuning') {
    // Thrown, so the page's client sees the worker fail with this message (worker-crashed).
    throw new Error(`The benchmark worker expects a tuning message first, got ${JSON.stringify(data)?.slice(0, 80)}.`);
  }
  // The ablation overrides the app's own settings; an invalid one throws here, naming the switch.
  handle = createWorkerHandler({ ...APP_TUNING, ...parseTuning(data.tuning) });
});
