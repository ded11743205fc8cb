/**
 * What the UI may use from the runtime: the worker client, the protocol types and their
 * validators. Nothing here imports tfjs; the engine lives only inside the worker.
 */

export * from './client';
export * from './protocol';
export * from './protocol-check';
