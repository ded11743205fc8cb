/**
 * The app's inference worker: a thin shell that feeds messages to the request handler, with every
 * optimisation on (`APP_TUNING`). Create it with `createInferenceWorker()` from ./client (Vite
 * bundles this file as a module worker).
 */

import { indexedDbChoiceMemory } from './backends/choice-memory';
import { APP_TUNING } from './tuning';
import { createWorkerHandler, workerScope } from './worker-host';

// The app remembers its automatic backend choice between visits; the benchmark's worker does not.
const handle = createWorkerHandler(APP_TUNING, indexedDbChoiceMemory());
workerScope.addEventListener('message', (event: MessageEvent<unknown>) => void handle(event.data));
