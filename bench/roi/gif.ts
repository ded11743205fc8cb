/**
 * Minimal GIF decoder (first frame, palette indices → gray levels): enough to read the DDTI masks,
 * which are single-frame GIFs, without adding a dependency. Not used by the app.
 */

export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

function lzw(minCode: number, data: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  const clear = 1 << minCode;
  const eoi = clear + 1;
  let size = minCode + 1;
  let prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const stack = new Uint8Array(4097);
  let next = eoi + 1;
  let old = -1;
  let first = 0;
  let bits = 0,
    acc = 0,
    pos = 0,
    op = 0;
  for (let i = 0; i < clear; i++) suffix[i] = i;
  prefix = prefix.fill(-1);
  while (op < pixels) {
    while (bits < size) {
      if (pos >= data.length) return out;
      acc |= data[pos++]! << bits;
      bits += 8;
    }
    const code = acc & ((1 << size) - 1);
    acc >>>= size;
    bits -= size;
    if (code === clear) {
      size = minCode + 1;
      next = eoi + 1;
      old = -1;
      continue;
    }
    if (code === eoi) break;
    let sp = 0;
    let c = code;
    if (old === -1) {
      out[op++] = suffix[code]!;
      old = code;
      first = code;
      continue;
    }
    if (code >= next) {
      stack[sp++] = first;
      c = old;
    }
    while (c >= clear) {
      stack[sp++] = suffix[c]!;
      c = prefix[c]!;
    }
    first = suffix[c]!;
    stack[sp++] = first;
    while (sp > 0 && op < pixels) out[op++] = stack[--sp]!;
    if (next < 4096) {
      prefix[next] = old;
      suffix[next] = first;
      next++;
      if (next === 1 << size && size < 12) size++;
    }
    old = code;
  }
  return out;
}

export function decodeGif(bytes: Uint8Array): GrayImage {
  const sig = String.fromCharCode(...bytes.subarray(0, 6));
  if (sig !== 'GIF87a' && sig !== 'GIF89a') throw new Error('not a GIF');
  const u16 = (p: number) => bytes[p]! | (bytes[p + 1]! << 8);
  const flags = bytes[10]!;
  let p = 13;
  let palette: Uint8Array | null = null;
  if (flags & 0x80) {
    const n = 3 * (1 << ((flags & 7) + 1));
    palette = bytes.subarray(p, p + n);
    p += n;
  }
  for (;;) {
    const block = bytes[p++];
    if (block === 0x21) {
      p++; // extension label
      while (bytes[p]) p += bytes[p]! + 1;
      p++;
    } else if (block === 0x2c) {
      const w = u16(p + 4),
        h = u16(p + 6);
      const lf = bytes[p + 8]!;
      p += 9;
      if (lf & 0x80) {
        const n = 3 * (1 << ((lf & 7) + 1));
        palette = bytes.subarray(p, p + n);
        p += n;
      }
      const interlaced = (lf & 0x40) !== 0;
      const minCode = bytes[p++]!;
      const chunks: number[] = [];
      while (bytes[p]) {
        const n = bytes[p]!;
        for (let i = 1; i <= n; i++) chunks.push(bytes[p + i]!);
        p += n + 1;
      }
      const idx = lzw(minCode, Uint8Array.from(chunks), w * h);
      // Interlaced rows come in four passes: every 8th from 0, every 8th from 4, every 4th from 2, every 2nd from 1.
      const rowOrder: number[] = [];
      if (interlaced)
        for (const [start, step] of [
          [0, 8],
          [4, 8],
          [2, 4],
          [1, 2],
        ] as const)
          for (let y = start; y < h; y += step) rowOrder.push(y);
      else for (let y = 0; y < h; y++) rowOrder.push(y);
      const data = new Uint8Array(w * h);
      rowOrder.forEach((y, r) => {
        for (let x = 0; x < w; x++) {
          const k = idx[r * w + x]! * 3;
          data[y * w + x] = palette ? Math.round((palette[k]! + palette[k + 1]! + palette[k + 2]!) / 3) : idx[r * w + x]!;
        }
      });
      return { width: w, height: h, data };
    } else throw new Error('GIF without an image');
  }
}
