/**
 * A bounded reader of ZIP archives (PyTorch checkpoints, model-pack zips). Stored entries are
 * returned as views of the input (a 260 MB checkpoint is not copied); deflated ones are inflated
 * with fflate, their declared size checked. Names are checked before anything is read: no absolute
 * paths, no `..`, no backslashes or drive letters, no duplicates — a zip cannot write outside its
 * folder nor hide one file behind another.
 */

import { inflateSync } from 'fflate';

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  headerOffset: number;
}

export const ZIP_LIMITS = {
  entries: 100_000,
  /** One inflated entry (a pack shard is ≤ 2 MiB; a manifest or model.json far less). */
  inflatedBytes: 512 * 1024 * 1024,
  nameLength: 1024,
};

const EOCD_SIG = 0x06054b50;
const CD_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;

/** Why a member name is unsafe, or null. */
export function unsafeZipName(name: string): string | null {
  if (name.length === 0 || name.length > ZIP_LIMITS.nameLength) return 'an empty or overlong name';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'an absolute path';
  if (name.includes('\\')) return 'a backslash';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a control character';
  if (name.split('/').some((s) => s === '..' || s === '.')) return 'a ".." or "." segment';
  return null;
}

function findEocd(view: DataView): number {
  const min = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let i = view.byteLength - 22; i >= min; i--) if (view.getUint32(i, true) === EOCD_SIG) return i;
  throw new ZipError('not a ZIP archive (no end-of-central-directory record)');
}

export class ZipReader {
  readonly entries: Map<string, ZipEntry> = new Map();
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    if (bytes.byteLength < 22) throw new ZipError('too short to be a ZIP archive');
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const eocd = findEocd(this.view);
    let count = this.view.getUint16(eocd + 10, true);
    let cdOffset = this.view.getUint32(eocd + 16, true);
    if (cdOffset === 0xffffffff || count === 0xffff) {
      // ZIP64: PyTorch writes it for archives beyond 4 GiB or many entries.
      const loc = eocd - 20;
      if (loc < 0 || this.view.getUint32(loc, true) !== ZIP64_LOCATOR_SIG) throw new ZipError('broken ZIP64 locator');
      const z64 = Number(this.view.getBigUint64(loc + 8, true));
      if (z64 + 56 > bytes.byteLength || this.view.getUint32(z64, true) !== ZIP64_EOCD_SIG)
        throw new ZipError('broken ZIP64 record');
      count = Number(this.view.getBigUint64(z64 + 32, true));
      cdOffset = Number(this.view.getBigUint64(z64 + 48, true));
    }
    if (count > ZIP_LIMITS.entries) throw new ZipError(`too many entries (${count}; at most ${ZIP_LIMITS.entries})`);
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > bytes.byteLength || this.view.getUint32(p, true) !== CD_SIG) throw new ZipError('truncated central directory');
      const flags = this.view.getUint16(p + 8, true);
      const method = this.view.getUint16(p + 10, true);
      let compressedSize = this.view.getUint32(p + 20, true);
      let size = this.view.getUint32(p + 24, true);
      const nameLen = this.view.getUint16(p + 28, true);
      const extraLen = this.view.getUint16(p + 30, true);
      const commentLen = this.view.getUint16(p + 32, true);
      let headerOffset = this.view.getUint32(p + 42, true);
      if (p + 46 + nameLen + extraLen > bytes.byteLength) throw new ZipError('truncated central directory');
      const name = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(p + 46, p + 46 + nameLen));
      [size, compressedSize, headerOffset] = this.zip64Extra(p + 46 + nameLen, extraLen, size, compressedSize, headerOffset);
      if (flags & 1) throw new ZipError(`"${name}" is encrypted`);
      const why = unsafeZipName(name);
      if (why) throw new ZipError(`the entry "${name.slice(0, 200)}" has ${why}; refused`);
      if (this.entries.has(name)) throw new ZipError(`the entry "${name}" appears twice`);
      if (method !== 0 && method !== 8)
        throw new ZipError(`"${name}" uses compression method ${method} (only stored and deflate)`);
      if (!name.endsWith('/')) this.entries.set(name, { name, method, compressedSize, size, headerOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  private zip64Extra(at: number, len: number, size: number, csize: number, offset: number): [number, number, number] {
    const end = at + len;
    while (at + 4 <= end) {
      const id = this.view.getUint16(at, true);
      const n = this.view.getUint16(at + 2, true);
      if (id === 1) {
        let q = at + 4;
        const next = (): number => {
          if (q + 8 > at + 4 + n) throw new ZipError('broken ZIP64 extra field');
          const v = Number(this.view.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (csize === 0xffffffff) csize = next();
        if (offset === 0xffffffff) offset = next();
      }
      at += 4 + n;
    }
    return [size, csize, offset];
  }

  /** File names, directories left out. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The entry's bytes (a view for stored entries). */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new ZipError(`no entry "${name}"`);
    const h = e.headerOffset;
    if (h + 30 > this.bytes.byteLength || this.view.getUint32(h, true) !== LOCAL_SIG)
      throw new ZipError(`"${name}": broken local header`);
    const start = h + 30 + this.view.getUint16(h + 26, true) + this.view.getUint16(h + 28, true);
    const end = start + e.compressedSize;
    if (end > this.bytes.byteLength) throw new ZipError(`"${name}" runs past the end of the archive (truncated file?)`);
    const raw = this.bytes.subarray(start, end);
    if (e.method === 0) {
      if (e.size !== e.compressedSize) throw new ZipError(`"${name}": stored entry with inconsistent sizes`);
      return raw;
    }
    if (e.size > ZIP_LIMITS.inflatedBytes) throw new ZipError(`"${name}" would inflate to ${e.size} bytes (too large)`);
    let out: Uint8Array;
    try {
      out = inflateSync(raw, { out: new Uint8Array(e.size) });
    } catch (err) {
      throw new ZipError(`"${name}" could not be inflated (${(err as Error).message})`);
    }
    if (out.byteLength !== e.size) throw new ZipError(`"${name}" inflated to a size other than declared`);
    return out;
  }
}
