/**
 * The batch loop of a validation run: each image goes the way a single analysis goes (decode in the
 * imaging worker, region proposal or the whole image, the slot's input check), then the crops of a
 * group of images go to the inference worker together, one `classify-batch` request per modality
 * (one batched forward pass; docs/validation.md gives the speed it gained). Each result is written
 * to the store as soon as its group is back, in the run's order, and nothing of the images is kept
 * afterwards: memory stays flat however long the set. The next group is decoded, its regions
 * proposed and cut while the current one is classified, so the workers and the page overlap.
 */

import type { InputVerdict, ModalityId } from '../../domain';
import { checkSlotFit, cropRgba, fullRect, ImageInputError, proposeRoi, type DecodedImage, type RgbaImage } from '../../imaging';
import type { ImageResult, RunImage, ValidationStore } from '../../validation';
import type { Decoder } from './slot.svelte';

/** One crop's answer from a batched classification: its probabilities, or the error code of that crop alone. */
export type Classified = { ok: true; probabilities: number[] } | { ok: false; code: string };

/**
 * Images per group. One: on WASM (2 threads, Chromium) a forward pass over 8 stacked crops was not
 * faster than 8 passes of one (0.89× and 1.00× in two interleaved runs, bench/README.md "Batched
 * classification"), and a group of one keeps Cancel at the image in hand. The loop takes any size.
 */
export const BATCH_SIZE = 1;

export interface BatchDeps {
  decode: Decoder;
  /** Crops of one modality, one item per crop in order; rejects when the engine itself fails. */
  classify(modality: ModalityId, crops: readonly RgbaImage[]): Promise<Classified[]>;
  store: Pick<ValidationStore, 'putResult'>;
  /** The modalities the pack has a model for. */
  modalities: ReadonlySet<ModalityId>;
  /** Images per group (BATCH_SIZE unless a test asks otherwise). */
  batchSize?: number;
}

export interface BatchJob {
  key: string;
  images: readonly RunImage[];
  file(path: string): Blob | undefined;
  wholeImage: boolean;
  /** Called after every image with its result. */
  onResult(result: ImageResult): void;
  /** True once the user cancelled: the loop stops after the group in hand. */
  cancelled(): boolean;
}

/** Why a run stopped before its end, other than a cancel: the analysis engine failed. */
export class BatchStopped extends Error {
  constructor(override readonly cause: unknown) {
    super('validation run stopped');
    this.name = 'BatchStopped';
  }
}

/** An image ready for the model: its region cut and checked, or why it cannot be analysed. */
export type Prepared = { ok: true; crop: RgbaImage; verdict: InputVerdict } | { ok: false; error: string };

/**
 * Decode (imaging worker), region proposal or whole image, crop, input check. Runs while the
 * inference worker analyses the previous image; the decoded picture is dropped once cropped.
 * Site adaptation prepares its images the same way (adaptation.svelte.ts).
 */
export async function prepareImage(
  deps: Pick<BatchDeps, 'decode' | 'modalities'>,
  img: RunImage,
  file: Blob | undefined,
  wholeImage: boolean,
): Promise<Prepared> {
  if (file === undefined) return { ok: false, error: 'file-missing' };
  if (!deps.modalities.has(img.modality)) return { ok: false, error: 'modality-not-in-pack' };
  let decoded: DecodedImage;
  try {
    decoded = await deps.decode(file, img.path);
  } catch (e) {
    return { ok: false, error: e instanceof ImageInputError ? e.code : 'decode-failed' };
  }
  const { pixels, imageArea } = decoded;
  const rect = wholeImage
    ? fullRect(pixels.width, pixels.height)
    : proposeRoi(pixels, img.modality, imageArea ? [imageArea] : []).rect;
  const crop = cropRgba(pixels, rect);
  // The slot's check (colour share), as a single analysis runs it; its verdict as the case keeps it.
  return { ok: true, crop, verdict: checkSlotFit(pixels, crop, img.modality) === null ? 'ok' : 'wrong-modality' };
}

/** Errors of one image (its pixels); anything else means the engine itself is in trouble. */
const imageError = (e: unknown): string | null => {
  const code = (e as { code?: unknown })?.code;
  return code === 'bad-input' ? code : null;
};

/** Classifies a group's prepared images, one request per modality; results in the group's order. */
async function classifyGroup(
  deps: BatchDeps,
  images: readonly RunImage[],
  prepared: readonly Prepared[],
): Promise<ImageResult[]> {
  const results: (ImageResult | null)[] = images.map((img, i) => {
    const p = prepared[i]!;
    return p.ok ? null : { path: img.path, ok: false, error: p.error };
  });
  const modalities = [...new Set(images.filter((_, i) => prepared[i]!.ok).map((img) => img.modality))];
  for (const modality of modalities) {
    const at = images.flatMap((img, i) => (img.modality === modality && prepared[i]!.ok ? [i] : []));
    const crops = at.map((i) => (prepared[i] as Extract<Prepared, { ok: true }>).crop);
    let answers: Classified[];
    try {
      answers = await deps.classify(modality, crops);
    } catch (e) {
      const code = imageError(e);
      if (code === null) throw new BatchStopped(e);
      answers = crops.map(() => ({ ok: false, code }));
    }
    at.forEach((i, k) => {
      const a = answers[k]!;
      const img = images[i]!;
      if (a.ok) {
        const verdict = (prepared[i] as Extract<Prepared, { ok: true }>).verdict;
        results[i] = { path: img.path, ok: true, probabilities: [...a.probabilities], verdict };
      } else if (imageError(a) !== null) results[i] = { path: img.path, ok: false, error: a.code };
      else throw new BatchStopped(Object.assign(new Error(`${img.path}: ${a.code}`), { code: a.code }));
    });
  }
  return results as ImageResult[];
}

export async function runBatch(deps: BatchDeps, job: BatchJob): Promise<void> {
  const { images } = job;
  const size = Math.max(1, deps.batchSize ?? BATCH_SIZE);
  // Sequential within a group, so the imaging worker sees the images in the run's order.
  const prepareGroup = async (start: number): Promise<Prepared[]> => {
    const out: Prepared[] = [];
    for (const img of images.slice(start, start + size))
      out.push(await prepareImage(deps, img, job.file(img.path), job.wholeImage));
    return out;
  };
  let next: Promise<Prepared[]> | null = images.length > 0 ? prepareGroup(0) : null;
  // The previous group's writes; awaited before the next ones, so writes keep their order.
  let writing: Promise<void> = Promise.resolve();
  try {
    for (let start = 0; start < images.length && next !== null; start += size) {
      const group = images.slice(start, start + size);
      const ready = await next;
      // Overlap: the next group is decoded and cropped while the inference worker runs this one.
      next = start + size < images.length && !job.cancelled() ? prepareGroup(start + size) : null;
      const results = await classifyGroup(deps, group, ready);
      await writing;
      writing = (async () => {
        for (const r of results) {
          await deps.store.putResult(job.key, r);
          job.onResult(r);
        }
      })();
      if (job.cancelled()) break;
    }
  } finally {
    // Let the pending decodes settle so no worker reply arrives for a finished loop.
    await next?.catch(() => undefined);
    await writing.catch(() => undefined);
  }
  await writing; // a write the store refused stops the run here (the caller says why)
}
