/**
 * The JSON form of a case, used for export files and (as encrypted bytes) for passphrase-protected
 * storage. Pixels and Grad-CAM maps become base64 (Float32 little-endian); everything else is as is.
 */

import { InvalidDataError } from './errors';
import type { CaseModality, CaseRecord, StoredImage } from './types';
import { validateCase, type BinaryReader } from './validate';

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export const base64Reader: BinaryReader = {
  bytes(v, path) {
    if (typeof v !== 'string' || v.length % 4 !== 0 || !B64_RE.test(v)) throw new InvalidDataError(path, 'must be base64 text');
    return base64ToBytes(v);
  },
  floats(v, path) {
    const b = base64Reader.bytes(v, path);
    if (b.length % 4 !== 0) throw new InvalidDataError(path, 'must hold 32-bit floats');
    return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  },
};

const floatsToBase64 = (f: Float32Array) => bytesToBase64(new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
const imageToJson = (im: StoredImage) => ({ width: im.width, height: im.height, data: bytesToBase64(im.data) });

/** A JSON-safe copy of a case. */
export function caseToJson(r: CaseRecord): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const [m, res] of Object.entries(r.results) as [CaseModality, NonNullable<CaseRecord['results'][CaseModality]>][]) {
    results[m] = {
      ...res,
      crop: imageToJson(res.crop),
      screenshot: res.screenshot ? imageToJson(res.screenshot) : null,
      cams: res.cams ? { ...res.cams, maps: res.cams.maps.map(floatsToBase64) } : null,
    };
  }
  return { ...r, results };
}

/** Validates a case in JSON form and turns it back into typed arrays. */
export function caseFromJson(v: unknown, path = 'case'): CaseRecord {
  return validateCase(v, path, base64Reader);
}

/**
 * JSON text of any stored value, typed arrays as base64: how a damaged row is kept (encrypted, still
 * unreadable, still deletable) when a passphrase is set, instead of being left in clear. IndexedDB
 * can hold values JSON cannot (cycles); those become a marker, since they were unreadable anyway.
 */
export function opaqueJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) =>
      ArrayBuffer.isView(x)
        ? { bytes: bytesToBase64(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)) }
        : x instanceof ArrayBuffer
          ? { bytes: bytesToBase64(new Uint8Array(x)) }
          : typeof x === 'bigint'
            ? String(x)
            : x,
    );
  } catch {
    return JSON.stringify({ unserialisable: true });
  }
}
