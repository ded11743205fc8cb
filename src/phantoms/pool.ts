/**
 * Working buffers reused from one case to the next. Every case has the same field size, and
 * allocating ~5 MB of typed arrays per case made garbage collection a large share of the run time.
 * Only for buffers that never leave the rendering of one case (never for anything in PhantomCase).
 */

const floats = new Map<string, Float32Array>();
const bytes = new Map<string, Uint8Array>();

/** A Float32Array of length n for `key`; contents are stale unless `zero`. */
export function reusableFloat32(key: string, n: number, zero = false): Float32Array {
  let a = floats.get(key);
  if (a?.length !== n) {
    a = new Float32Array(n);
    floats.set(key, a);
  } else if (zero) a.fill(0);
  return a;
}

/** A Uint8Array of length n for `key`; contents are stale unless `zero`. */
export function reusableUint8(key: string, n: number, zero = false): Uint8Array {
  let a = bytes.get(key);
  if (a?.length !== n) {
    a = new Uint8Array(n);
    bytes.set(key, a);
  } else if (zero) a.fill(0);
  return a;
}
