/**
 * Layout of the shared control block between the inference worker and its convolution helpers
 * (one Int32Array over its own SharedArrayBuffer, apart from the tfjs heap).
 */
export const GENERATION = 0; // bumped once per job; helpers wait on it
export const DONE = 1; // helpers that finished the current job
export const COMMAND = 2; // what the job is
export const FAILED = 3; // set by a helper whose share threw

export const Command = { winograd: 1, direct: 2, stop: 3 } as const;
export type JobKind = 'winograd' | 'direct';

/** Arguments of each kernel entry point (kernels.c), in order. */
export const ARG_COUNT: Record<JobKind, number> = { winograd: 14, direct: 16 };
const SLOT = 16;
const HEADER = 16;

/** Where helper `index`'s arguments start. */
export function argsAt(index: number): number {
  return HEADER + index * SLOT;
}

export function controlBytes(helpers: number): number {
  return (HEADER + helpers * SLOT) * Int32Array.BYTES_PER_ELEMENT;
}

/** The helper side's init message. */
export interface HelperInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
}

export function isHelperInit(v: unknown): v is HelperInit {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    o.module instanceof WebAssembly.Module &&
    o.memory instanceof WebAssembly.Memory &&
    typeof SharedArrayBuffer !== 'undefined' &&
    o.control instanceof SharedArrayBuffer &&
    typeof o.index === 'number'
  );
}
