/**
 * The app's inference worker: a thin shell that feeds messages to the request handler, with every
 * optimisation on (`APP_TUNING`). Create it with `createInferenceWorker()` from ./client (Vite
 * bundles this file as a module worker).
 */

import { APP_TUNING } from './tuning';
import { createWorkerHandler, workerScope } from './worker-host';

const handle = createWorkerHandler(APP_TUNING);
workerScope.addEventListener('message', (event: MessageEvent<unknown>) => void handle(event.data));
