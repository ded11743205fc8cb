/**
 * The output Dense layer of a pack's model, read from its model.json and weight shards (float32,
 * or tfjs-quantised uint8/uint16/float16 as the bundled packs store it): the head that site
 * adaptation starts from and pulls towards.
 */

import { parseModelJson, type WeightSpec } from '../model-pack';
import type { Head } from './head';

const BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** IEEE half → float. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decode(w: WeightSpec, bytes: Uint8Array): Float32Array {
  const n = w.shape.reduce((a, b) => a * b, 1);
  const q = w.quantization;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (!q) {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (q.dtype === 'float16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else {
    // tfjs affine quantisation: value = q · scale + min.
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let i = 0; i < n; i++) out[i] = (q.dtype === 'uint8' ? bytes[i]! : view.getUint16(i * 2, true)) * scale + min;
  }
  return out;
}

/** The kernel ([inDim, numClasses]) and bias of the model's output layer. */
export function readHead(files: ReadonlyMap<string, Uint8Array>, modelPath: string): Head {
  const modelBytes = files.get(modelPath);
  if (!modelBytes) throw new RangeError(`${modelPath} is not in the pack`);
  const modelJson = JSON.parse(new TextDecoder().decode(modelBytes)) as {
    modelTopology?: { config?: { output_layers?: [string, number, number][] } };
  };
  const parsed = parseModelJson(modelJson, modelPath);
  const out = modelJson.modelTopology?.config?.output_layers?.[0]?.[0];
  if (!out) throw new RangeError(`${modelPath}: no output layer named`);
  const blobs = parsed.shards.map((p) => {
    const b = files.get(p);
    if (!b) throw new RangeError(`${p} is not in the pack`);
    return b;
  });
  const all = new Uint8Array(blobs.reduce((n, b) => n + b.byteLength, 0));
  blobs.reduce((at, b) => (all.set(b, at), at + b.byteLength), 0);
  let at = 0;
  let kernel: { w: WeightSpec; data: Float32Array } | null = null;
  let bias: Float32Array | null = null;
  for (const w of parsed.weightSpecs) {
    const n = w.shape.reduce((a, b) => a * b, 1) * (w.quantization ? BYTES[w.quantization.dtype]! : 4);
    if (w.name === `${out}/kernel`) kernel = { w, data: decode(w, all.subarray(at, at + n)) };
    if (w.name === `${out}/bias`) bias = decode(w, all.subarray(at, at + n));
    at += n;
  }
  if (!kernel || !bias || kernel.w.shape.length !== 2)
    throw new RangeError(`${modelPath}: the output layer "${out}" has no Dense kernel and bias`);
  const [inDim, numClasses] = kernel.w.shape as [number, number];
  if (bias.length !== numClasses) throw new RangeError(`${modelPath}: the output layer's bias has another size`);
  return { kernel: kernel.data, bias, inDim, numClasses };
}
