/**
 * The adapted head as a new pack version: the base pack's files with the modality's output Dense
 * layer replaced (float32) and its temperature re-fitted, weights re-sharded (≤ 2 MiB), golden
 * outputs of that modality dropped (they described the old head), and a model card in the
 * manifest: base pack id, version and manifest SHA-256, data fingerprint (counts, never images),
 * method, folds, before/after macro AUC with CIs, date. The base pack is never modified.
 */

import type { ModalityId as Modality } from '../domain';
import { parseManifest, parseModelJson, sha256Hex, type Manifest, type MetricsEntry, type WeightSpec } from '../model-pack';
import type { AdaptResult, Head } from './head';

const SHARD_BYTES = 2 * 1024 * 1024;

export interface PackFiles {
  manifestBytes: Uint8Array;
  files: { path: string; bytes: Uint8Array }[];
}

export interface VersionMeta {
  id: string;
  version: string;
  /** ISO date. */
  date: string;
  /** Cases per class index, patients: what the head was fitted on (counts only). */
  casesPerClass: number[];
  patients: number;
  dataset: string;
}

const BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

function entryBytes(w: WeightSpec): number {
  return w.shape.reduce((a, b) => a * b, 1) * (w.quantization ? BYTES[w.quantization.dtype]! : 4);
}

function json(bytes: Uint8Array): unknown {
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Replaces the output Dense layer of `modelPath`'s model; returns the new model.json and shards. */
function replaceHead(files: Map<string, Uint8Array>, modelPath: string, head: Head): { path: string; bytes: Uint8Array }[] {
  const modelJson = json(files.get(modelPath)!) as {
    modelTopology: { config: { output_layers: [string, number, number][] } };
  } & Record<string, unknown>;
  const parsed = parseModelJson(modelJson, modelPath);
  const out = modelJson.modelTopology.config.output_layers[0]![0];
  const blobs = parsed.shards.map((p) => files.get(p)!);
  const total = blobs.reduce((n, b) => n + b.byteLength, 0);
  const all = new Uint8Array(total);
  blobs.reduce((at, b) => (all.set(b, at), at + b.byteLength), 0);
  const parts: Uint8Array[] = [];
  const specs: WeightSpec[] = [];
  let at = 0;
  let replaced = 0;
  for (const w of parsed.weightSpecs) {
    const n = entryBytes(w);
    const fresh = w.name === `${out}/kernel` ? head.kernel : w.name === `${out}/bias` ? head.bias : null;
    if (fresh) {
      if (w.shape.reduce((a, b) => a * b, 1) !== fresh.length)
        throw new RangeError(`${w.name}: the adapted head has another shape`);
      parts.push(new Uint8Array(fresh.buffer.slice(fresh.byteOffset, fresh.byteOffset + fresh.byteLength)));
      specs.push({ name: w.name, shape: w.shape, dtype: 'float32' });
      replaced++;
    } else {
      parts.push(all.subarray(at, at + n));
      specs.push(w);
    }
    at += n;
  }
  if (replaced !== 2) throw new RangeError(`${modelPath}: the output layer "${out}" has no kernel and bias to replace`);
  const blob = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  parts.reduce((o, p) => (blob.set(p, o), o + p.byteLength), 0);
  const count = Math.max(1, Math.ceil(blob.byteLength / SHARD_BYTES));
  const dir = modelPath.slice(0, modelPath.lastIndexOf('/') + 1);
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}.bin`);
  const newJson = { ...modelJson, weightsManifest: [{ paths, weights: specs }] };
  return [
    { path: modelPath, bytes: new TextEncoder().encode(JSON.stringify(newJson)) },
    ...paths.map((p, i) => ({ path: dir + p, bytes: blob.slice(i * SHARD_BYTES, (i + 1) * SHARD_BYTES) })),
  ];
}

export async function adaptedPackVersion(
  base: PackFiles,
  modality: Modality,
  result: AdaptResult,
  meta: VersionMeta,
): Promise<PackFiles & { manifest: Manifest }> {
  const raw = json(base.manifestBytes) as Record<string, unknown>;
  const manifest = parseManifest(raw);
  const spec = manifest.modalities[modality];
  if (!spec) throw new RangeError(`the pack has no ${modality} model`);
  const byPath = new Map(base.files.map((f) => [f.path, f.bytes]));
  const oldShards = new Set(parseModelJson(json(byPath.get(spec.model)!), spec.model).shards);
  const golden = spec.golden;
  const goldenDir = `${modality}/golden/`;
  const kept = base.files.filter(
    (f) => f.path !== spec.model && !oldShards.has(f.path) && f.path !== golden && !f.path.startsWith(goldenDir),
  );
  const card = { path: CARD, bytes: new TextEncoder().encode(modelCard(manifest, modality, result, meta, byPath.get(CARD))) };
  const files = [...kept.filter((f) => f.path !== CARD), card, ...replaceHead(byPath, spec.model, result.head)].sort((a, b) =>
    a.path < b.path ? -1 : 1,
  );
  const listed = await Promise.all(
    files.map(async (f) => ({ path: f.path, bytes: f.bytes.byteLength, sha256: await sha256Hex(f.bytes) })),
  );
  const rawModalities = raw.modalities as Record<string, Record<string, unknown>>;
  const { golden: _dropped, ...rawSpec } = rawModalities[modality]!;
  const n = meta.casesPerClass.reduce((a, b) => a + b, 0);
  const metric = (which: 'before' | 'after'): MetricsEntry => {
    const e = result[which];
    return {
      modality,
      dataset:
        `${meta.dataset} — ${which === 'before' ? `base pack ${manifest.id} ${manifest.version}` : `adapted head, held-out folds (${result.folds}-fold, grouped by patient)`}`.slice(
          0,
          500,
        ),
      split: `${result.folds}-fold CV`,
      n,
      ...(e.macroAuc.value !== null ? { macroAuc: round(e.macroAuc.value) } : {}),
      ...(e.macroAucCi.lower !== null && e.macroAucCi.upper !== null
        ? { macroAucCi95: [round(e.macroAucCi.lower), round(e.macroAucCi.upper)] as [number, number] }
        : {}),
      ...(e.accuracy.value !== null ? { accuracy: round(e.accuracy.value) } : {}),
    };
  };
  const next = {
    ...raw,
    id: meta.id,
    version: meta.version,
    title: `${manifest.title} — adapted to this site`.slice(0, 500),
    fixture: false,
    modalities: { ...rawModalities, [modality]: { ...rawSpec, temperature: round(result.temperature) } },
    files: listed,
    metrics: [metric('before'), metric('after')],
    training: {
      summary: `Head re-fitted on this site's labelled cases (${n} images, ${meta.patients} patients); the rest of the network is the base pack's.`,
      adaptation: {
        basePack: { id: manifest.id, version: manifest.version, manifestSha256: await sha256Hex(base.manifestBytes) },
        method:
          'multinomial logistic regression of the output layer on pooled features, started from and L2-pulled towards the base head; temperature re-fitted on held-out logits',
        folds: result.folds,
        grouping: 'patient',
        data: {
          cases: n,
          patients: meta.patients,
          casesPerClass: Object.fromEntries(manifest.classes.map((c, i) => [c.id, meta.casesPerClass[i] ?? 0])),
        },
        date: meta.date,
      },
    },
  };
  const out = parseManifest(next);
  return { manifest: out, manifestBytes: new TextEncoder().encode(JSON.stringify(next, null, 1) + '\n'), files };
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

const CARD = 'MODEL_CARD.md';

/** The new version's MODEL_CARD.md: what was adapted, on what (counts), how, with which result; then the base's card. */
function modelCard(
  base: Manifest,
  modality: Modality,
  r: AdaptResult,
  meta: VersionMeta,
  baseCard: Uint8Array | undefined,
): string {
  const f = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  const line = (name: string, e: AdaptResult['before']) =>
    `| ${name} | ${f(e.macroAuc.value)} | ${f(e.macroAucCi.lower)}–${f(e.macroAucCi.upper)} | ${f(e.accuracy.value)} |`;
  const counts = base.classes.map((c, i) => `${c.id}: ${meta.casesPerClass[i] ?? 0}`).join(', ');
  const text = [
    `# ${meta.id} ${meta.version} — ${base.title}, adapted to this site`,
    '',
    `Site adaptation of the **${modality}** model of \`${base.id}\` ${base.version} (${meta.date}). Only its output layer was re-fitted`,
    `(multinomial logistic regression on the pooled features, started from and pulled towards the base head); every other`,
    `weight, and the other modalities, are the base pack's. Imported, not validated: validate it before clinical use.`,
    '',
    `- Data: ${meta.dataset}; ${counts} (${meta.patients} patients). Counts only, no images are kept.`,
    `- Method: ${r.folds}-fold cross-validation grouped by patient; "after" scores each case with a head that never saw its patient.`,
    `- Temperature re-fitted on the held-out logits: ${r.temperature.toFixed(4)}.`,
    '',
    "| Macro AUC on this site's cases | Value | 95 % CI (patient bootstrap) | Accuracy |",
    '|---|---|---|---|',
    line('Before (base pack)', r.before),
    line('After (adapted head, held-out folds)', r.after),
    '',
  ];
  if (baseCard) text.push('---', '', "## The base pack's model card", '', new TextDecoder().decode(baseCard));
  return text.join('\n');
}
