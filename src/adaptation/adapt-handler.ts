/**
 * The adaptation worker's work, independent of the worker scope so Node tests drive it directly:
 * read the base pack (every file SHA-256-checked by the loader), take its output layer, re-fit it
 * with grouped cross-validation (head.ts) and build the new pack version (pack-version.ts).
 */

import { loadManifest, loadPackFile, type FetchLike } from '../model-pack';
import { checkAdaptRequest, type AdaptRequest, type AdaptResponse, type MetricSummary } from './adapt-protocol';
import { adaptHead } from './head';
import type { Evaluation } from '../validation';
import { readHead } from './pack-head';
import { adaptedPackVersion } from './pack-version';

export type AdaptPost = (r: AdaptResponse, transfer?: Transferable[]) => void;

const summary = (e: Evaluation): MetricSummary => ({
  auc: e.macroAuc.value,
  low: e.macroAucCi.lower,
  high: e.macroAucCi.upper,
});

/** `1.2.0` → `1.3.0`; anything else gets `-site` appended (the id tells versions apart anyway). */
function nextVersion(v: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m ? `${m[1]}.${Number(m[2]) + 1}.0` : `${v}-site`.slice(0, 50);
}

/** A fresh id for the adapted version: the base id, `-site-` and the minute (UTC), within 100 characters. */
export function adaptedPackId(baseId: string, date: Date): string {
  const stamp = date.toISOString().slice(0, 16).replace(/[-:T]/g, '').toLowerCase();
  return `${baseId.slice(0, 100 - 6 - stamp.length)}-site-${stamp}`;
}

export function createAdaptHandler(post: AdaptPost, fetchFn: FetchLike, now: () => Date = () => new Date()) {
  return async (data: unknown): Promise<void> => {
    const id = typeof (data as { id?: unknown } | null)?.id === 'number' ? (data as { id: number }).id : -1;
    const problem = checkAdaptRequest(data);
    if (problem !== null) return post({ type: 'error', id, message: `malformed request (${problem})` });
    const req = data as AdaptRequest;
    try {
      const manifestBytes = new Uint8Array(await (await fetchFn(req.manifestUrl)).arrayBuffer());
      const manifest = await loadManifest(req.manifestUrl, fetchFn);
      const spec = manifest.modalities[req.modality];
      if (!spec) throw new RangeError(`the pack has no ${req.modality} model`);
      const files = await Promise.all(
        manifest.files.map(async (f) => ({
          path: f.path,
          bytes: new Uint8Array(await loadPackFile(req.manifestUrl, manifest, f.path, fetchFn)),
        })),
      );
      const head = readHead(new Map(files.map((f) => [f.path, f.bytes])), spec.model);
      if (req.labels.some((l) => l >= head.numClasses))
        throw new RangeError(`a label is outside the pack's ${head.numClasses} classes`);
      const start = performance.now();
      const result = adaptHead(
        { features: req.features, labels: req.labels, patients: req.patients, head, temperature: spec.temperature },
        { bootstrap: { resamples: req.resamples ?? 1000, seed: 1 } },
      );
      const fitMs = performance.now() - start;
      const date = now();
      const casesPerClass = Array.from({ length: head.numClasses }, (_, k) => req.labels.filter((l) => l === k).length);
      const packId = adaptedPackId(manifest.id, date);
      const v = await adaptedPackVersion({ manifestBytes, files }, req.modality, result, {
        id: packId,
        version: nextVersion(manifest.version),
        date: date.toISOString().slice(0, 10),
        casesPerClass,
        patients: new Set(req.patients).size,
        dataset: req.dataset,
      });
      const out = [{ path: 'manifest.json', bytes: v.manifestBytes }, ...v.files];
      post(
        {
          type: 'adapted',
          id,
          before: summary(result.before),
          after: summary(result.after),
          folds: result.folds,
          temperature: result.temperature,
          fitMs,
          packId,
          files: out,
        },
        // Not transferred: some files are views into the loader's buffers; a structured copy is safe.
        [],
      );
    } catch (e) {
      post({ type: 'error', id, message: e instanceof Error ? e.message : String(e) });
    }
  };
}
