/**
 * Layout of the shared control block between the inference worker and its convolution helpers
 * (one Int32Array over its own SharedArrayBuffer, apart from the tfjs heap).
 *
 * A job is one convolution cut into items (ranges of output tiles or pixels × output channel
 * blocks). Every thread, the inference worker included, takes the next item from a shared counter
 * until none is left, so a thread the system delays simply does fewer items.
 */
export const GENERATION = 0; // bumped once per job; helpers wait on it
export const DONE = 1; // helpers that found no item left
export const COMMAND = 2; // what the job is
export const FAILED = 3; // set by a helper whose item threw
export const NEXT = 4; // next item to take
export const ITEMS = 5; // items in this job

export const Command = { winograd: 1, direct: 2, stop: 3, int8: 4 } as const;
export type JobKind = 'winograd' | 'direct' | 'int8';

/** Arguments each kernel entry point (kernels.c) takes before the 4 of the item, in order. */
export const COMMON_ARGS: Record<JobKind, number> = { winograd: 10, direct: 12, int8: 12 };
/** In a Winograd call, where the thread's own scratch pointer goes. */
export const WORK_ARG = 4;
export const MAX_ITEMS = 256;
export const MAX_THREADS = 16;

export const COMMON = 16;
const WORK = COMMON + 16;
const ITEM_TABLE = WORK + MAX_THREADS;
const SIZE = ITEM_TABLE + 4 * MAX_ITEMS;

/** Where thread `index`'s scratch pointer is (0: the inference worker). */
export function workAt(index: number): number {
  return WORK + index;
}

/** Where item `i`'s [start, end, block0, block1] are. */
export function itemAt(i: number): number {
  return ITEM_TABLE + 4 * i;
}

export const CONTROL_BYTES = SIZE * Int32Array.BYTES_PER_ELEMENT;

/**
 * Takes items until none is left, calling `kernel` with the job's arguments, this thread's scratch
 * and the item's range. The inference worker and every helper run exactly this loop.
 */
export function takeItems(control: Int32Array, kind: JobKind, thread: number, kernel: (...args: number[]) => void): void {
  const count = Atomics.load(control, ITEMS);
  const args = Array.from(control.subarray(COMMON, COMMON + COMMON_ARGS[kind] + 4));
  if (kind === 'winograd') args[WORK_ARG] = control[workAt(thread)]!;
  const first = COMMON_ARGS[kind];
  for (let i = Atomics.add(control, NEXT, 1); i < count; i = Atomics.add(control, NEXT, 1)) {
    const at = itemAt(i);
    args[first] = control[at]!;
    args[first + 1] = control[at + 1]!;
    args[first + 2] = control[at + 2]!;
    args[first + 3] = control[at + 3]!;
    kernel(...args);
  }
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
