/** The values the restricted unpickler produces: plain data, module instances as records, tensor references. */

import type { GlobalRef } from './allowlist';

export class PickleError extends Error {
  constructor(
    message: string,
    /** `refused`: a class, function or opcode that is not allowed; `malformed`: broken or too large. */
    readonly kind: 'refused' | 'malformed',
  ) {
    super(message);
    this.name = 'PickleError';
  }
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PyDict {
  readonly map = new Map<string | number, PyValue>();
  /** Attributes set by BUILD (OrderedDict's `_metadata`), kept but unused. */
  attrs: PyValue = null;
}
export class PySet {
  constructor(readonly items: PyValue[]) {}
}
/** An instance of an allowed class (an nn.Module), created by NEWOBJ, filled by BUILD. */
export class PyObject {
  state: PyValue = null;
  constructor(readonly cls: GlobalRef) {}
}
/** A storage named by a persistent id; its bytes are resolved by the archive reader. */
export class StorageRef {
  constructor(
    readonly dtype: string,
    readonly key: string,
    readonly numel: number,
  ) {}
}
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}
export class GlobalValue {
  constructor(readonly ref: GlobalRef) {}
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyObject
  | StorageRef
  | TensorRef
  | GlobalValue;
