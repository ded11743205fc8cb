// The browser helper (src/runtime/conv/helper-worker.ts) run on a Node worker thread: the few
// DedicatedWorkerGlobalScope members it uses, on top of worker_threads.
import { parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

globalThis.self = {
  postMessage: (message) => parentPort.postMessage(message),
  addEventListener: (_type, listener) => parentPort.once('message', (data) => listener({ data })),
  close: () => process.exit(0),
};
if (workerData?.failToStart) self.postMessage({ error: 'refused to start (test)' });
else await tsImport('../../../../src/runtime/conv/helper-worker.ts', import.meta.url);
