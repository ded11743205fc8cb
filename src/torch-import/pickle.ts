/**
 * A restricted, data-only unpickler (Python pickle protocols 2–5), written from the protocol's
 * opcode table (CPython `Lib/pickletools.py`). It never runs code: GLOBAL / STACK_GLOBAL only
 * name a class or function, and only the few that a PyTorch state dict or a whole pickled
 * torchvision model needs (`allowlist.ts`) are accepted; REDUCE calls only the handful of
 * constructors implemented here (OrderedDict, set, the tensor rebuild functions); NEWOBJ + BUILD
 * of an allowed module class records its class name and attribute dict, nothing else. Anything
 * else stops the read with a `PickleError` naming what was refused. Sizes are bounded (stack,
 * memo, marks, string and integer lengths, opcode count).
 */

import { type GlobalRef, classifyGlobal, describeGlobal } from './allowlist';
import { GlobalValue, PickleError, PyDict, PyObject, PySet, PyTuple, StorageRef, TensorRef, type PyValue } from './py-values';

export { GlobalValue, PickleError, PyDict, PyObject, PySet, PyTuple, StorageRef, TensorRef, type PyValue };

export const PICKLE_LIMITS = { stack: 10_000, marks: 1_000, memo: 2_000_000, ops: 50_000_000, longBytes: 64 };

/** Turns a persistent id (a tuple the pickler wrote for a storage) into a value. */
export type PersistentLoad = (pid: PyValue) => PyValue;

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

function malformed(msg: string): never {
  throw new PickleError(msg, 'malformed');
}
function refused(msg: string): never {
  throw new PickleError(msg, 'refused');
}

function int(v: PyValue, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return malformed(`${what} is not an integer`);
}

function intList(v: PyValue, what: string): number[] {
  if (!(v instanceof PyTuple)) return malformed(`${what} is not a tuple`);
  return v.items.map((x) => int(x, what));
}

/** The constructors REDUCE may call, by kind (allowlist.ts decides which global is which kind). */
function callAllowed(ref: GlobalRef, args: PyValue[]): PyValue {
  switch (ref.kind) {
    case 'ordered-dict': {
      const d = new PyDict();
      const src = args[0];
      if (src === undefined) return d;
      const pairs = Array.isArray(src) ? src : malformed('OrderedDict(...) with a non-list argument');
      for (const p of pairs) {
        if (!(p instanceof PyTuple) || p.items.length !== 2) malformed('OrderedDict pair is not a 2-tuple');
        d.map.set(dictKey(p.items[0]!), p.items[1]!);
      }
      return d;
    }
    case 'set':
      return new PySet(Array.isArray(args[0]) ? args[0] : []);
    case 'rebuild-tensor': {
      // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof StorageRef)) return malformed('_rebuild_tensor_v2 without a storage');
      const shape = intList(size ?? null, 'tensor size');
      const strides = intList(stride ?? null, 'tensor stride');
      if (shape.length !== strides.length || shape.length > 8) malformed('tensor size and stride disagree');
      return new TensorRef(storage, int(offset ?? null, 'storage offset'), shape, strides);
    }
    case 'rebuild-parameter': {
      const t = args[0];
      if (!(t instanceof TensorRef)) return malformed('_rebuild_parameter without a tensor');
      return t;
    }
    default:
      return refused(`calling ${describeGlobal(ref)} is not allowed (only OrderedDict, set and tensor rebuilds are)`);
  }
}

function dictKey(k: PyValue): string | number {
  if (typeof k === 'string' || typeof k === 'number') return k;
  if (typeof k === 'bigint') return Number(k);
  return malformed('a dictionary key is neither a string nor an integer');
}

/** Unpickles `data`; `persistentLoad` resolves storages (PyTorch's persistent ids). */
export function unpickle(data: Uint8Array, persistentLoad: PersistentLoad, onStop?: (consumed: number) => void): PyValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: Slot[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let ops = 0;

  const need = (n: number): number => {
    if (n < 0 || pos + n > data.byteLength) malformed('the pickle ends early (truncated file?)');
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => data[need(1)]!;
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const i32 = () => view.getInt32(need(4), true);
  const u64 = () => {
    const v = view.getBigUint64(need(8), true);
    return v > BigInt(data.byteLength) ? malformed('a length runs past the end of the pickle') : Number(v);
  };
  const bytes = (n: number) => data.subarray(need(n), pos);
  const text = (n: number) => {
    const b = bytes(n);
    try {
      return utf8.decode(b);
    } catch {
      return malformed('a string is not valid UTF-8');
    }
  };
  const push = (v: Slot) => {
    if (stack.length >= PICKLE_LIMITS.stack) malformed(`the pickle nests deeper than ${PICKLE_LIMITS.stack} values`);
    stack.push(v);
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) return malformed('stack underflow');
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return malformed('stack underflow');
    return v;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) return malformed('no MARK to pop to');
    const items = stack.splice(m);
    if (items[0] !== MARK) malformed('MARK misplaced');
    return items.slice(1) as PyValue[];
  };
  const memoPut = (i: number) => {
    if (memo.size >= PICKLE_LIMITS.memo && !memo.has(i)) malformed('the pickle memo is too large');
    memo.set(i, top());
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) malformed(`memo entry ${i} is missing`);
    push(memo.get(i)!);
  };
  const long = (n: number): bigint | number => {
    if (n > PICKLE_LIMITS.longBytes) malformed(`an integer of ${n} bytes is too large`);
    const b = bytes(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  };
  const setItems = (d: PyValue, items: PyValue[]) => {
    if (!(d instanceof PyDict)) return malformed('SETITEM(S) on something that is not a dict');
    if (items.length % 2) malformed('SETITEMS with an odd number of values');
    for (let i = 0; i < items.length; i += 2) d.map.set(dictKey(items[i]!), items[i + 1]!);
  };
  const global = (module: string, name: string) => {
    const ref = classifyGlobal(module, name);
    if (!ref) refused(`the checkpoint asks for "${module}.${name}", which is not allowed (refused, never executed)`);
    push(new GlobalValue(ref));
  };

  for (;;) {
    if (++ops > PICKLE_LIMITS.ops) malformed('the pickle has too many operations');
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) malformed('pickle protocol newer than 5');
        break;
      case 0x95: // FRAME (a length hint only)
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) malformed('the pickle stopped with a malformed stack');
        onStop?.(pos);
        return pop();
      case 0x28: // MARK
        if (marks.length >= PICKLE_LIMITS.marks) malformed(`the pickle nests deeper than ${PICKLE_LIMITS.marks} levels`);
        marks.push(stack.length);
        push(MARK);
        break;
      case 0x30: // POP
        if (stack.length && stack[stack.length - 1] === MARK) popMark();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(long(u8()));
        break;
      case 0x8b: // LONG4
        push(long(u32()));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        push(text(u64()));
        break;
      case 0x42: // BINBYTES
        push(bytes(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        push(bytes(u8()));
        break;
      case 0x8e: // BINBYTES8
        push(bytes(u64()));
        break;
      case 0x54: // BINSTRING (protocol 0/1 str, still written for some py2 data)
        push(new TextDecoder('latin1').decode(bytes(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        push(new TextDecoder('latin1').decode(bytes(u8())));
        break;
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) malformed('APPEND to something that is not a list');
        l.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) malformed('APPENDS to something that is not a list');
        for (const v of items) l.push(v);
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new PySet([]));
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet)) malformed('ADDITEMS to something that is not a set');
        s.items.push(...items);
        break;
      }
      case 0x91: // FROZENSET
        push(new PySet(popMark()));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const line = () => {
          const end = data.indexOf(0x0a, pos);
          if (end < 0 || end - pos > 256) malformed('GLOBAL name is unterminated or too long');
          return new TextDecoder('latin1').decode(bytes(end - pos + 1)).slice(0, -1);
        };
        const module = line();
        global(module, line());
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') malformed('STACK_GLOBAL needs two strings');
        global(module, name);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof GlobalValue)) return refused('REDUCE on something that is not an allowed global');
        if (!(args instanceof PyTuple)) return malformed('REDUCE arguments are not a tuple');
        push(callAllowed(fn.ref, args.items));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args) — only module classes, which take no arguments.
        pop();
        const cls = pop();
        if (!(cls instanceof GlobalValue) || cls.ref.kind !== 'module')
          return refused(`creating ${cls instanceof GlobalValue ? describeGlobal(cls.ref) : 'this object'} is not allowed`);
        push(new PyObject(cls.ref));
        break;
      }
      case 0x92: // NEWOBJ_EX
        return refused('the NEWOBJ_EX opcode is not allowed');
      case 0x62: {
        // BUILD: only records the state; no __setstate__ is ever called.
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj instanceof PyDict) obj.attrs = state;
        else if (!(obj instanceof TensorRef)) malformed('BUILD on a value that takes no state');
        break;
      }
      case 0x71: // BINPUT
        memoPut(u8());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x68: // BINGET
        memoGet(u8());
        break;
      case 0x6a: // LONG_BINGET
        memoGet(u32());
        break;
      case 0x51: // BINPERSID
        push(persistentLoad(pop()));
        break;
      default:
        return refused(
          `pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1} is not allowed (text protocols, extensions, out-of-band buffers and object calls are refused)`,
        );
    }
  }
}
