/**
 * Interleaved A/B of graph-level choices on the tfjs wasm backend in Node (one process, the
 * variants alternate every run, so load drift hits them alike):
 *
 *   npx tsx bench/ab.ts [manifest.json] [--runs 15]
 *
 * - unfolded: BatchNorm as its own layer after every convolution (what a converter that does not
 *   fold would produce; statistics chosen so the outputs are unchanged)
 * - folded:   the pack as exported (BatchNorm folded into the convolutions)
 * - fused:    folded + Conv2D→ReLU fused (what the app runs, src/runtime/optimise.ts)
 */

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadPack, type WeightSpec } from '../src/model-pack/loader';
import { optimiseTopology } from '../src/runtime/optimise';
import { diskFetch } from '../tests/unit/runtime/helpers';
import { stat } from './stats';

type Layer = { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: unknown[] };

/** Adds an identity BatchNormalization after every Conv2D (gamma 1, beta 0, mean 0, var 1 − ε). */
function unfold(topology: Record<string, unknown>, specs: WeightSpec[], data: ArrayBuffer) {
  const topo = structuredClone(topology) as { config: { layers: Layer[] } };
  const layers: Layer[] = [];
  const extraSpecs: WeightSpec[] = [];
  const extraData: Float32Array[] = [];
  const renamed = new Map<string, string>();
  const eps = 1e-3;
  for (const l of topo.config.layers) {
    const rewire = (v: unknown): void => {
      if (!Array.isArray(v)) return;
      if (typeof v[0] === 'string' && typeof v[1] === 'number') {
        v[0] = renamed.get(v[0]) ?? v[0];
        return;
      }
      v.forEach(rewire);
    };
    rewire(l.inbound_nodes);
    layers.push(l);
    if (l.class_name !== 'Conv2D') continue;
    const bn = `${l.name}_bn`;
    const filters = l.config.filters as number;
    layers.push({
      class_name: 'BatchNormalization',
      name: bn,
      config: { name: bn, axis: -1, epsilon: eps, center: true, scale: true },
      inbound_nodes: [[[l.name, 0, 0, {}]]],
    });
    renamed.set(l.name, bn);
    for (const [w, v] of [
      ['gamma', 1],
      ['beta', 0],
      ['moving_mean', 0],
      ['moving_variance', 1 - eps],
    ] as const) {
      extraSpecs.push({ name: `${bn}/${w}`, shape: [filters], dtype: 'float32' });
      extraData.push(new Float32Array(filters).fill(v));
    }
  }
  topo.config.layers = layers;
  const extraBytes = extraData.reduce((n, a) => n + a.byteLength, 0);
  const out = new Uint8Array(data.byteLength + extraBytes);
  out.set(new Uint8Array(data), 0);
  let offset = data.byteLength;
  for (const a of extraData) {
    out.set(new Uint8Array(a.buffer), offset);
    offset += a.byteLength;
  }
  return { topology: topo as unknown as Record<string, unknown>, specs: [...specs, ...extraSpecs], data: out.buffer };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 15;
  const manifest = resolve(
    args.find((a) => a.endsWith('.json')) ?? 'node_modules/.cache/lymphscope-bench/packs/random-r18/manifest.json',
  );
  await tf.setBackend('wasm');
  const pack = await loadPack(pathToFileURL(manifest).href, { fetchFn: diskFetch, modalities: ['bmode'] });
  const files = pack.models.bmode!;
  const gradcamLayer = pack.manifest.modalities.bmode!.gradcamLayer;
  const build = (topology: Record<string, unknown>, specs: WeightSpec[], data: ArrayBuffer) =>
    tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: topology, weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData: data }),
    );
  const u = unfold(files.topology, files.weightSpecs, files.weightData);
  const variants: [string, tf.LayersModel][] = [
    ['unfolded', await build(u.topology, u.specs, u.data)],
    ['folded', await build(files.topology, files.weightSpecs, files.weightData)],
    [
      'fused',
      await build(optimiseTopology(files.topology, new Set([gradcamLayer])).topology, files.weightSpecs, files.weightData),
    ],
  ];
  const { height, width } = pack.manifest.modalities.bmode!.input;
  const x = tf.randomNormal([1, height, width, 3], 0, 1, 'float32', 1);
  const once = async (m: tf.LayersModel) => {
    const t = performance.now();
    const y = m.predict(x) as tf.Tensor;
    const v = await y.data();
    y.dispose();
    return { ms: performance.now() - t, v };
  };
  const ref = (await once(variants[1]![1])).v;
  const times = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  for (const [, m] of variants) await once(m);
  for (let i = 0; i < runs; i++) {
    for (const [n, m] of variants) {
      const r = await once(m);
      times.get(n)!.push(r.ms);
      if (i === 0)
        console.log(
          `${n}: max |Δlogit| vs folded ${Math.max(...Array.from(r.v).map((v, k) => Math.abs(v - ref[k]!))).toExponential(1)}`,
        );
    }
  }
  const base = stat(times.get('unfolded')!).p50;
  for (const [n, t] of times) {
    const s = stat(t);
    console.log(
      `${n.padEnd(9)} p50 ${s.p50.toFixed(1)} ms  p95 ${s.p95.toFixed(1)} ms  (${((s.p50 / base) * 100).toFixed(0)}% of unfolded)`,
    );
  }
  console.log(
    JSON.stringify({ runs, backend: tf.getBackend(), p50: Object.fromEntries([...times].map(([n, t]) => [n, stat(t).p50])) }),
  );
}

void main();
