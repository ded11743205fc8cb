/**
 * The batch loop of a validation run: each image goes the way a single analysis goes (decode in the
 * imaging worker, region proposal or the whole image, the slot's input check, the crop analysed in
 * the inference worker), its result is written to the store at once, and nothing of the image is
 * kept afterwards: memory stays flat however long the set. The next image is decoded, its region
 * proposed and cut while the current one is analysed, so the workers and the page overlap.
 */

import type { InputVerdict, ModalityAnalysis, ModalityId } from '../../domain';
import { checkSlotFit, cropRgba, fullRect, ImageInputError, proposeRoi, type DecodedImage, type RgbaImage } from '../../imaging';
import type { ImageResult, RunImage, ValidationStore } from '../../validation';
import type { Decoder } from './slot.svelte';

export interface BatchDeps {
  decode: Decoder;
  analyze(modality: ModalityId, crop: DecodedImage['pixels']): Promise<ModalityAnalysis>;
  store: Pick<ValidationStore, 'putResult'>;
  /** The modalities the pack has a model for. */
  modalities: ReadonlySet<ModalityId>;
}

export interface BatchJob {
  key: string;
  images: readonly RunImage[];
  file(path: string): Blob | undefined;
  wholeImage: boolean;
  /** Called after every image with its result. */
  onResult(result: ImageResult): void;
  /** True once the user cancelled: the loop stops after the image in hand. */
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

export async function runBatch(deps: BatchDeps, job: BatchJob): Promise<void> {
  const { images } = job;
  const prepare = (i: number) => prepareImage(deps, images[i]!, job.file(images[i]!.path), job.wholeImage);
  let next: Promise<Prepared> | null = images.length > 0 ? prepare(0) : null;
  // The previous result's write; awaited before the next one, so writes keep their order.
  let writing: Promise<void> = Promise.resolve();
  try {
    for (let i = 0; i < images.length && next !== null; i++) {
      const img = images[i]!;
      const ready = await next;
      // Overlap: the next image is decoded and cropped while the inference worker runs this one.
      next = i + 1 < images.length && !job.cancelled() ? prepare(i + 1) : null;
      let result: ImageResult;
      if (!ready.ok) result = { path: img.path, ok: false, error: ready.error };
      else {
        try {
          const a = await deps.analyze(img.modality, ready.crop);
          result = { path: img.path, ok: true, probabilities: [...a.probabilities], verdict: ready.verdict };
        } catch (e) {
          const code = imageError(e);
          if (code === null) throw new BatchStopped(e);
          result = { path: img.path, ok: false, error: code };
        }
      }
      await writing;
      const r = result;
      writing = deps.store.putResult(job.key, r).then(() => job.onResult(r));
      if (job.cancelled()) break;
    }
  } finally {
    // Let the pending decode settle so no worker reply arrives for a finished loop.
    await next?.catch(() => undefined);
    await writing.catch(() => undefined);
  }
  await writing; // a write the store refused stops the run here (the caller says why)
}
