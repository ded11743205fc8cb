/**
 * What the page uses from the offline layer: the Trusted Types policy (installed when this module
 * is first evaluated, so main.ts imports it before anything creates a worker), service worker
 * registration and update prompts, and the network log of the Privacy panel. The service worker
 * itself (sw.ts) is its own bundle entry.
 */
export * from './trusted-types';
export * from './register';
export * from './network-log';
