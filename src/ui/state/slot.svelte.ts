/** One modality's input: the decoded image, its ROI and anything wrong with it. */

import {
  checkModalityFit,
  checkSlotFit,
  cropRgba,
  decodeImageFile,
  ImageInputError,
  proposeRoi,
  type DecodedImage,
  type PlausibilityWarning,
  type Rect,
  type RoiProposal,
} from '../../imaging';
import type { ModalityId } from '../../domain';

export type SlotError = { code: ImageInputError['code']; fileName: string; detail?: string };

/** Turns a file into pixels; the page uses the imaging worker, tests may pass their own. */
export type Decoder = typeof decodeImageFile;

function slotError(e: unknown, fileName: string): SlotError {
  return e instanceof ImageInputError ? { code: e.code, fileName, detail: e.detail } : { code: 'decode-failed', fileName };
}

export class SlotState {
  readonly modality: ModalityId;
  fileName = $state<string | null>(null);
  image = $state.raw<DecodedImage | null>(null);
  roi = $state<Rect | null>(null);
  warning = $state<PlausibilityWarning | null>(null);
  error = $state<SlotError | null>(null);
  loading = $state(false);
  /** Bumped on every change of image or ROI, so results can tell they are out of date. */
  revision = $state(0);
  /** Where the current ROI came from: proposed automatically, declared by the file, or the user's. */
  roiSource = $state<RoiProposal['source'] | 'user'>('whole');
  /** The file itself, kept to decode another frame of a multi-frame DICOM. */
  private file: Blob | null = null;
  /**
   * Counts what the user asked the slot to show (a file, a frame, a demo image, nothing). A decode
   * that finishes after a later choice was made is dropped: the latest choice wins, whatever order
   * the decodes finish in.
   */
  private choice = 0;

  constructor(
    modality: ModalityId,
    private readonly decode: Decoder = decodeImageFile,
  ) {
    this.modality = modality;
  }

  /** Starts a new choice; `loading` shows while the latest one is being decoded. */
  private begin(decoding: boolean): number {
    this.loading = decoding;
    return ++this.choice;
  }

  private isLatest(ticket: number): boolean {
    return ticket === this.choice;
  }

  /**
   * Decodes a new file. On failure the slot keeps the image it had (nothing already entered is
   * lost) and shows why the new file was refused.
   */
  async load(file: Blob, name: string): Promise<void> {
    const ticket = this.begin(true);
    let decoded: DecodedImage;
    try {
      decoded = await this.decode(file, name);
    } catch (e) {
      if (!this.isLatest(ticket)) return;
      this.error = slotError(e, name);
      this.loading = false;
      return;
    }
    if (!this.isLatest(ticket)) return;
    this.image = decoded;
    this.fileName = name;
    this.file = file;
    this.propose();
    this.error = null;
    this.loading = false;
  }

  /** Puts already-decoded pixels into the slot (simulated demo cases), with the ROI to start from. */
  loadPixels(decoded: DecodedImage, name: string, roi: Rect): void {
    this.begin(false);
    this.image = decoded;
    this.fileName = name;
    this.file = null;
    this.error = null;
    this.roi = roi;
    this.roiSource = 'user';
    this.warning = checkModalityFit(cropRgba(decoded.pixels, roi), this.modality);
    this.revision++;
  }

  /** Shows the image of a saved case: no plausibility check, it was analysed as it is. */
  restore(decoded: DecodedImage, name: string, roi: Rect): void {
    this.begin(false);
    this.image = decoded;
    this.fileName = name || null;
    this.file = null;
    this.error = null;
    this.warning = null;
    this.roi = roi;
    this.roiSource = 'user';
    this.revision++;
  }

  /** Sets the ROI to the automatic proposal (image area of a screenshot, colour panel of a dual view). */
  propose(): void {
    const img = this.image;
    if (!img) return;
    const p = proposeRoi(img.pixels, this.modality, img.imageArea ? [img.imageArea] : []);
    this.roi = p.rect;
    this.roiSource = p.source;
    this.warning = checkSlotFit(img.pixels, cropRgba(img.pixels, p.rect), this.modality);
    this.revision++;
  }

  /** Shows another frame of a multi-frame file; the ROI stays where it is. */
  async selectFrame(frame: number): Promise<void> {
    const img = this.image;
    if (!img || !this.file || !img.frames || frame === img.frameIndex || frame < 0 || frame >= img.frames) return;
    const ticket = this.begin(true);
    const name = this.fileName ?? '';
    let decoded: DecodedImage;
    try {
      decoded = await this.decode(this.file, name, { frame });
    } catch (e) {
      if (!this.isLatest(ticket)) return;
      this.error = slotError(e, name);
      this.loading = false;
      return;
    }
    if (!this.isLatest(ticket)) return;
    this.image = decoded;
    if (!this.roi || this.roi.x + this.roi.width > decoded.pixels.width || this.roi.y + this.roi.height > decoded.pixels.height)
      this.propose();
    else this.revision++;
    this.error = null;
    this.loading = false;
  }

  setRoi(r: Rect): void {
    this.roi = r;
    this.roiSource = 'user';
    this.revision++;
  }

  clear(): void {
    this.begin(false);
    this.image = null;
    this.file = null;
    this.fileName = null;
    this.roi = null;
    this.warning = null;
    this.error = null;
    this.revision++;
  }
}

/** One slot per modality of the registry, in its order. */
