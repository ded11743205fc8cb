/**
 * Deterministic mutations of valid files for the fuzz tests: truncation, bit flips, overwritten
 * length fields, dropped or duplicated byte runs. Shared by the Node (DICOM) and browser (PNG, JPEG)
 * fuzzers.
 */

import { createRng } from '../../../src/phantoms/rng';

export type Mutation = 'truncate' | 'bitflip' | 'length' | 'splice' | 'zero-run' | 'duplicate';

export interface Mutant {
  bytes: Uint8Array;
  mutation: Mutation;
  seed: number;
}

function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.next();
}

const MUTATIONS: Mutation[] = ['truncate', 'bitflip', 'length', 'splice', 'zero-run', 'duplicate'];

/**
 * Offsets of 2- and 4-byte length fields worth hitting: for DICOM the element lengths after the
 * preamble, for PNG chunk lengths, for JPEG segment lengths. Found heuristically; any offset works.
 */
function lengthOffsets(b: Uint8Array): number[] {
  const out: number[] = [];
  if (b.length > 132 && b[128] === 0x44 && b[129] === 0x49) {
    for (let i = 132; i + 8 < b.length && out.length < 400; i++) {
      const vr = String.fromCharCode(b[i + 4]!, b[i + 5]!);
      if (/^[A-Z]{2}$/.test(vr)) out.push(['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr) ? i + 8 : i + 6);
    }
  } else if (b[0] === 0x89) {
    for (let i = 8; i + 8 <= b.length;) {
      out.push(i);
      const len = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
      i += 12 + len;
    }
  } else if (b[0] === 0xff) {
    for (let i = 2; i + 4 <= b.length;) {
      if (b[i] !== 0xff) break;
      out.push(i + 2);
      if (b[i + 1] === 0xda) break;
      i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
    }
  }
  return out.length ? out : [0];
}

export function mutate(src: Uint8Array, seed: number, mutation?: Mutation): Mutant {
  const r = rng(seed);
  const m = mutation ?? MUTATIONS[Math.floor(r() * MUTATIONS.length)]!;
  let b = new Uint8Array(src);
  const at = () => Math.floor(r() * b.length);
  switch (m) {
    case 'truncate':
      b = b.slice(0, Math.floor(r() * b.length));
      break;
    case 'bitflip': {
      const n = 1 + Math.floor(r() * 8);
      for (let i = 0; i < n; i++) {
        const p = at();
        b[p] = b[p]! ^ (1 << Math.floor(r() * 8));
      }
      break;
    }
    case 'length': {
      const offs = lengthOffsets(b);
      const p = offs[Math.floor(r() * offs.length)]!;
      const choices = [0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, Math.floor(r() * 0xffffffff)];
      const v = choices[Math.floor(r() * choices.length)]!;
      const width = r() < 0.5 ? 2 : 4;
      for (let k = 0; k < width && p + k < b.length; k++) b[p + k] = (v >>> (8 * k)) & 0xff;
      break;
    }
    case 'splice': {
      const p = at();
      const n = Math.floor(r() * Math.min(64, b.length - p));
      b = new Uint8Array([...b.subarray(0, p), ...b.subarray(p + n)]);
      break;
    }
    case 'zero-run': {
      const p = at();
      b.fill(0, p, Math.min(b.length, p + 1 + Math.floor(r() * 256)));
      break;
    }
    case 'duplicate': {
      const p = at();
      const n = 1 + Math.floor(r() * 128);
      b = new Uint8Array([...b.subarray(0, p + n), ...b.subarray(p, p + n), ...b.subarray(p + n)]);
      break;
    }
  }
  return { bytes: b, mutation: m, seed };
}
