/** One modality's input: the decoded image, its ROI and anything wrong with it. */

import {
  checkModalityFit,
  decodeImageFile,
  fullRect,
  ImageInputError,
  type DecodedImage,
  type PlausibilityWarning,
  type Rect,
} from '../../imaging';
import type { Modality } from '../../model-pack/manifest';

export type SlotError = { code: ImageInputError['code']; fileName: string };

export class SlotState {
  readonly modality: Modality;
  fileName = $state<string | null>(null);
  image = $state.raw<DecodedImage | null>(null);
  roi = $state<Rect | null>(null);
  warning = $state<PlausibilityWarning | null>(null);
  error = $state<SlotError | null>(null);
  loading = $state(false);
  /** Bumped on every change of image or ROI, so results can tell they are out of date. */
  revision = $state(0);

  constructor(modality: Modality) {
    this.modality = modality;
  }

  /**
   * Decodes a new file. On failure the slot keeps the image it had (nothing already entered is
   * lost) and shows why the new file was refused.
   */
  async load(file: Blob, name: string): Promise<void> {
    this.loading = true;
    try {
      const decoded = await decodeImageFile(file, name);
      this.image = decoded;
      this.fileName = name;
      this.roi = fullRect(decoded.pixels.width, decoded.pixels.height);
      this.warning = checkModalityFit(decoded.pixels, this.modality);
      this.error = null;
      this.revision++;
    } catch (e) {
      const code = e instanceof ImageInputError ? e.code : 'decode-failed';
      this.error = { code, fileName: name };
    } finally {
      this.loading = false;
    }
  }

  setRoi(r: Rect): void {
    this.roi = r;
    this.revision++;
  }

  clear(): void {
    this.image = null;
    this.fileName = null;
    this.roi = null;
    this.warning = null;
    this.error = null;
    this.revision++;
  }
}
