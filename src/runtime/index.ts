/**
 * What the UI may use from the runtime: the worker client and the protocol types. Nothing here
 * imports tfjs; the engine lives only inside the worker.
 */

export * from './client';
export * from './protocol';
