/**
 * The batch loop of a validation run: each image goes the way a single analysis goes (decode in the
 * imaging worker, region proposal or the whole image, the slot's input check, the crop analysed in
 * the inference worker), its result is written to the store at once, and nothing of the image is
 * kept afterwards: memory stays flat however long the set. The next image is decoded while the
 * current one is analysed, so the two workers overlap.
 */

import type { ModalityAnalysis, ModalityId } from '../../domain';
import { checkSlotFit, cropRgba, fullRect, ImageInputError, proposeRoi, type DecodedImage } from '../../imaging';
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

type Decoded = { ok: true; image: DecodedImage } | { ok: false; error: string };

async function decodeOne(deps: BatchDeps, img: RunImage, file: Blob | undefined): Promise<Decoded> {
  if (file === undefined) return { ok: false, error: 'file-missing' };
  if (!deps.modalities.has(img.modality)) return { ok: false, error: 'modality-not-in-pack' };
  try {
    return { ok: true, image: await deps.decode(file, img.path) };
  } catch (e) {
    return { ok: false, error: e instanceof ImageInputError ? e.code : 'decode-failed' };
  }
}

/** Errors of one image (its pixels); anything else means the engine itself is in trouble. */
const imageError = (e: unknown): string | null => {
  const code = (e as { code?: unknown })?.code;
  return code === 'bad-input' ? code : null;
};

export async function runBatch(deps: BatchDeps, job: BatchJob): Promise<void> {
  const { images } = job;
  let next: Promise<Decoded> | null = images.length > 0 ? decodeOne(deps, images[0]!, job.file(images[0]!.path)) : null;
  for (let i = 0; i < images.length && next !== null; i++) {
    const img = images[i]!;
    const decoded = await next;
    // Overlap: the imaging worker decodes the next file while the inference worker runs this one.
    next = i + 1 < images.length && !job.cancelled() ? decodeOne(deps, images[i + 1]!, job.file(images[i + 1]!.path)) : null;
    let result: ImageResult;
    if (!decoded.ok) result = { path: img.path, ok: false, error: decoded.error };
    else {
      const { pixels, imageArea } = decoded.image;
      const rect = job.wholeImage
        ? fullRect(pixels.width, pixels.height)
        : proposeRoi(pixels, img.modality, imageArea ? [imageArea] : []).rect;
      const crop = cropRgba(pixels, rect);
      const verdict = checkSlotFit(pixels, crop, img.modality) ?? 'ok';
      try {
        const a = await deps.analyze(img.modality, crop);
        result = { path: img.path, ok: true, probabilities: [...a.probabilities], verdict };
      } catch (e) {
        const code = imageError(e);
        if (code === null) {
          // Let the pending decode settle so no worker reply arrives for a finished loop.
          await next?.catch(() => undefined);
          throw new BatchStopped(e);
        }
        result = { path: img.path, ok: false, error: code };
      }
    }
    await deps.store.putResult(job.key, result);
    job.onResult(result);
    if (job.cancelled()) break;
  }
  await next?.catch(() => undefined);
}
