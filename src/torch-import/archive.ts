/**
 * Reads a `torch.save` file: the zip format (PyTorch ≥ 1.6: `<name>/data.pkl` + `<name>/data/<key>`
 * storages + `<name>/byteorder`) or the legacy format (a magic-number pickle, protocol, system info,
 * the object pickle, the storage keys, then each storage as an 8-byte count and its bytes). The
 * object is unpickled by the restricted unpickler; tensors stay references until `tensorData`
 * copies one out as float32 (contiguous, row-major), checked against its storage's bounds.
 */

import { STORAGE_DTYPES } from './allowlist';
import { PickleError, PyTuple, StorageRef, type PyValue, type TensorRef, unpickle } from './pickle';
import { ZipError, ZipReader } from './zip';

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface Checkpoint {
  root: PyValue;
  /** Raw little-endian bytes of each storage, by key. */
  storages: Map<string, Uint8Array>;
  format: 'zip' | 'legacy';
}

const ELEMENT_BYTES: Record<string, number> = {
  float32: 4,
  float16: 2,
  float64: 8,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function storageFromPid(pid: PyValue): StorageRef {
  // ('storage', storage_type, key, location, numel[, view_metadata])
  if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length < 5) {
    throw new PickleError('the checkpoint names a persistent object that is not a tensor storage', 'refused');
  }
  const [, type, key, , numel] = pid.items;
  const dtype = type && typeof type === 'object' && 'ref' in type && type.ref.kind === 'storage' ? type.ref.dtype : undefined;
  if (!dtype) throw new PickleError('a storage of an unknown type', 'refused');
  if (typeof key !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(key))
    throw new PickleError('a storage key is malformed', 'malformed');
  const n = typeof numel === 'number' ? numel : typeof numel === 'bigint' ? Number(numel) : -1;
  if (!Number.isSafeInteger(n) || n < 0) throw new PickleError('a storage size is malformed', 'malformed');
  return new StorageRef(dtype, key, n);
}

function readZip(bytes: Uint8Array): Checkpoint {
  const zip = new ZipReader(bytes);
  const pkl = zip.names().filter((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (pkl.length !== 1) throw new CheckpointError('this ZIP file is not a PyTorch checkpoint (no single data.pkl inside)');
  const prefix = pkl[0]!.slice(0, -'data.pkl'.length);
  const order = zip.entries.has(`${prefix}byteorder`)
    ? new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim()
    : 'little';
  if (order !== 'little')
    throw new CheckpointError(`the checkpoint was saved with ${order}-endian storages (only little-endian is read)`);
  const storages = new Map<string, Uint8Array>();
  const root = unpickle(zip.read(pkl[0]!), (pid) => {
    const ref = storageFromPid(pid);
    if (!storages.has(ref.key)) {
      const name = `${prefix}data/${ref.key}`;
      if (!zip.entries.has(name)) throw new CheckpointError(`the checkpoint lacks storage "${ref.key}" (truncated file?)`);
      storages.set(ref.key, zip.read(name));
    }
    return ref;
  });
  return { root, storages, format: 'zip' };
}

/** Reads one legacy pickle at `pos`, returning the value and where the next one starts. */
function legacyPickle(bytes: Uint8Array, pos: number, load: (pid: PyValue) => PyValue): [PyValue, number] {
  // The pickle length is unknown up front: find STOP by unpickling a view from `pos` and measuring it.
  let end = -1;
  const value = unpickle(bytes.subarray(pos), load, (n) => (end = pos + n));
  return [value, end];
}

function readLegacy(bytes: Uint8Array): Checkpoint {
  const noStorage = (): never => {
    throw new PickleError('a storage appears before the object pickle', 'malformed');
  };
  const [magic, afterMagic] = legacyPickle(bytes, 0, noStorage);
  let pos = afterMagic;
  if ((typeof magic !== 'number' && typeof magic !== 'bigint') || BigInt(magic) !== LEGACY_MAGIC)
    throw new CheckpointError('not a PyTorch checkpoint (bad magic number)');
  [, pos] = legacyPickle(bytes, pos, noStorage); // protocol version
  [, pos] = legacyPickle(bytes, pos, noStorage); // system info
  const refs = new Map<string, StorageRef>();
  const [root, afterRoot] = legacyPickle(bytes, pos, (pid) => {
    const ref = storageFromPid(pid);
    if (pid instanceof PyTuple && pid.items[5] !== null && pid.items[5] !== undefined) {
      throw new PickleError('storage views (legacy format) are not supported', 'refused');
    }
    refs.set(ref.key, ref);
    return ref;
  });
  const [keys, afterKeys] = legacyPickle(bytes, afterRoot, noStorage);
  pos = afterKeys;
  if (!Array.isArray(keys)) throw new CheckpointError('the legacy checkpoint has no storage list');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const storages = new Map<string, Uint8Array>();
  for (const key of keys) {
    const ref = typeof key === 'string' ? refs.get(key) : undefined;
    if (!ref) throw new CheckpointError('the legacy checkpoint lists an unknown storage');
    if (pos + 8 > bytes.byteLength) throw new CheckpointError('the checkpoint ends early (truncated file?)');
    const count = Number(view.getBigUint64(pos, true));
    const len = count * ELEMENT_BYTES[ref.dtype]!;
    pos += 8;
    if (pos + len > bytes.byteLength) throw new CheckpointError('the checkpoint ends early (truncated file?)');
    storages.set(ref.key, bytes.subarray(pos, pos + len));
    pos += len;
  }
  return { root, storages, format: 'legacy' };
}

/** Reads a checkpoint file; throws `CheckpointError` / `PickleError` with a message naming the problem. */
export function readCheckpoint(bytes: Uint8Array): Checkpoint {
  if (bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b) {
    try {
      return readZip(bytes);
    } catch (e) {
      if (e instanceof ZipError) throw new CheckpointError(`the checkpoint archive is damaged: ${e.message}`);
      throw e;
    }
  }
  if (bytes.byteLength >= 2 && bytes[0] === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5) return readLegacy(bytes);
  throw new CheckpointError('this is not a PyTorch checkpoint (neither a torch.save ZIP archive nor the legacy format)');
}

const MAX_ELEMENTS = 2 ** 28;

/** The tensor's values as float32, row-major; refuses non-float types and out-of-bounds views. */
export function tensorData(ckpt: Checkpoint, t: TensorRef, name: string): Float32Array {
  const raw = ckpt.storages.get(t.storage.key);
  if (!raw) throw new CheckpointError(`${name}: its storage is missing`);
  const el = ELEMENT_BYTES[t.storage.dtype]!;
  if (raw.byteLength < t.storage.numel * el)
    throw new CheckpointError(`${name}: its storage is shorter than declared (truncated file?)`);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.shape.some((d) => d < 0) || n > MAX_ELEMENTS)
    throw new CheckpointError(`${name}: tensor shape [${t.shape.join(', ')}] is refused`);
  let maxIndex = t.offset;
  for (let i = 0; i < t.shape.length; i++) maxIndex += (t.shape[i]! - 1) * Math.max(0, t.stride[i]!);
  if (t.offset < 0 || t.stride.some((s) => s < 0) || (n > 0 && maxIndex >= t.storage.numel)) {
    throw new CheckpointError(`${name}: the tensor reaches outside its storage`);
  }
  if (t.storage.dtype === 'float32' && isContiguous(t)) {
    // The common case, copied in one go (the storage may sit at any byte offset of the file).
    return new Float32Array(raw.slice(t.offset * 4, (t.offset + n) * 4).buffer);
  }
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const get = reader(t.storage.dtype, dv, name);
  const out = new Float32Array(n);
  const idx = new Array<number>(t.shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = t.offset;
    for (let d = 0; d < idx.length; d++) off += idx[d]! * t.stride[d]!;
    out[i] = get(off * el);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < t.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

function isContiguous(t: TensorRef): boolean {
  let expected = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expected) return false;
    expected *= t.shape[d]!;
  }
  return true;
}

function reader(dtype: string, dv: DataView, name: string): (byteOffset: number) => number {
  switch (dtype) {
    case 'float32':
      return (o) => dv.getFloat32(o, true);
    case 'float64':
      return (o) => dv.getFloat64(o, true);
    case 'float16':
      return (o) => halfToFloat(dv.getUint16(o, true));
    case 'bfloat16': {
      const tmp = new DataView(new ArrayBuffer(4));
      return (o) => {
        tmp.setUint32(0, dv.getUint16(o, true) << 16);
        return tmp.getFloat32(0);
      };
    }
    default:
      throw new CheckpointError(`${name}: a ${dtype} tensor where weights (floating point) are expected`);
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export { STORAGE_DTYPES };
