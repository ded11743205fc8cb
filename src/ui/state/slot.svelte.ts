/** One modality's input: the decoded image, its ROI and anything wrong with it. */

import {
  checkModalityFit,
  checkSlotFit,
  cropForNode,
  cropRgba,
  DEFAULT_CROP,
  decodeImageFile,
  ImageInputError,
  MIN_ROI_SIDE,
  proposeRoi,
  type DecodedImage,
  type PlausibilityWarning,
  type Rect,
  type RoiProposal,
} from '../../imaging';
import type { InputCheckOutcome } from '../../analysis';
import type { ModalityId, NodeFinding, RoiSource } from '../../domain';
import { NodeState, type NodeFinderClient } from './node.svelte';

export type SlotError = { code: ImageInputError['code']; fileName: string; detail?: string };

/** The input check of the slot's current image and region (docs/input-checks.md). */
export type SlotCheck =
  | { status: 'checking'; revision: number; pack: string }
  | { status: 'done'; revision: number; pack: string; outcome: InputCheckOutcome }
  | { status: 'failed'; revision: number; pack: string };

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
  /** The input check of the current revision (null: none yet, or a reopened case). */
  check = $state.raw<SlotCheck | null>(null);
  /** The revision the user chose "analyse anyway" for (a new image or region needs a new choice). */
  overrideRevision = $state<number | null>(null);
  /** Where the current ROI came from: proposed automatically, declared by the file, the node, or the user's. */
  roiSource = $state<RoiProposal['source'] | 'user' | 'node'>('whole');
  /** Why the whole image was proposed, when it was. */
  roiReason = $state<RoiProposal['reason'] | null>(null);
  /** The learned node finder, once the runtime has one (null: image area and seeded outlines only). */
  finder = $state.raw<NodeFinderClient | null>(null);
  /** The automatic node proposal: being looked for, or the finder was unsure (the region stays). */
  nodeProposal = $state<'looking' | 'unsure' | null>(null);
  /** The node: outline, axes, scale. */
  readonly node: NodeState;
  /** The file itself, kept to decode another frame of a multi-frame DICOM. */
  private file: Blob | null = null;
  /**
   * Counts what the user asked the slot to show (a file, a frame, a demo image, nothing). A decode
   * that finishes after a later choice was made is dropped: the latest choice wins, whatever order
   * the decodes finish in.
   */
  private choice = 0;
  /**
   * Counts the user's own region and outline changes: an automatic proposal that was asked for
   * before one of them is dropped when it arrives, so the user's choice is never overwritten.
   */
  private edits = 0;
  /** The picture area the automatic region found (the whole image when none); node crops stay inside it. */
  private area: Rect | null = null;
  /** True while the region is the finder's automatic proposal (not a click's outline). */
  private autoNode = false;
  /** The automatic proposal on its way, if any (settles, never rejects). */
  private proposal: Promise<void> = Promise.resolve();

  constructor(
    modality: ModalityId,
    private readonly decode: Decoder = decodeImageFile,
  ) {
    this.modality = modality;
    this.node = new NodeState(modality, () => this.finder);
  }

  /** The region's source as the contract names it (a DICOM-declared area is an image area). */
  get roiSourceId(): RoiSource {
    return this.roiSource === 'declared' ? 'image-area' : this.roiSource;
  }

  /** Starts a new choice; `loading` shows while the latest one is being decoded. */
  private begin(decoding: boolean): number {
    this.loading = decoding;
    this.nodeProposal = null;
    this.autoNode = false;
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
    this.node.reset(decoded, this.roiSource === 'image-area' || this.roiSource === 'declared' ? this.roi : null);
    void this.proposeNode();
    this.error = null;
    this.loading = false;
  }

  /** Called after every change of image or region (the input checks listen: input-checks.svelte.ts). */
  onchange: (() => void) | null = null;

  private bump(): void {
    this.revision++;
    this.onchange?.();
  }

  /** The current verdict, once the check of this very image and region has finished. */
  get outcome(): InputCheckOutcome | null {
    const c = this.check;
    return c?.status === 'done' && c.revision === this.revision ? c.outcome : null;
  }

  /** The user overrode a blocking verdict for the current image and region. */
  get overridden(): boolean {
    return this.overrideRevision === this.revision;
  }

  /** Takes over another slot's image (a wrong-modality move), with this modality's own ROI proposal. */
  adopt(decoded: DecodedImage, name: string | null, file: Blob | null): void {
    this.begin(false);
    this.image = decoded;
    this.fileName = name;
    this.file = file;
    this.error = null;
    this.propose();
    this.node.reset(decoded, this.roiSource === 'image-area' || this.roiSource === 'declared' ? this.roi : null);
    void this.proposeNode();
  }

  /** The file behind the image, for a move to another slot. */
  get sourceFile(): Blob | null {
    return this.file;
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
    this.roiReason = null;
    this.area = null;
    this.warning = checkModalityFit(cropRgba(decoded.pixels, roi), this.modality);
    this.node.reset(decoded, null);
    this.bump();
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
    this.area = null;
    this.roiSource = 'user';
    this.roiReason = null;
    this.node.reset(decoded, null);
    this.bump();
  }

  /** Sets the ROI to the automatic proposal (image area of a screenshot, colour panel of a dual view). */
  propose(): void {
    const img = this.image;
    if (!img) return;
    const p = proposeRoi(img.pixels, this.modality, img.imageArea ? [img.imageArea] : []);
    this.roi = p.rect;
    this.roiSource = p.source;
    this.autoNode = false;
    this.area = p.source === 'image-area' || p.source === 'declared' ? { ...p.rect } : null;
    this.roiReason = p.reason ?? null;
    this.warning = checkSlotFit(img.pixels, cropRgba(img.pixels, p.rect), this.modality);
    this.bump();
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
    if (!this.roi || this.roi.x + this.roi.width > decoded.pixels.width || this.roi.y + this.roi.height > decoded.pixels.height) {
      this.propose();
      void this.proposeNode();
    } else this.bump();
    this.error = null;
    this.loading = false;
  }

  setRoi(r: Rect): void {
    // The same region again (a refused drag puts back the one it started from) is no edit: its source stays.
    const o = this.roi;
    if (o && o.x === r.x && o.y === r.y && o.width === r.width && o.height === r.height) return;
    this.edits++;
    this.nodeProposal = null;
    this.autoNode = false;
    this.roi = r;
    this.roiSource = 'user';
    this.roiReason = null;
    this.bump();
  }

  /** The finder the runtime offers for the loaded pack (null: none); an automatic region is proposed again. */
  setFinder(finder: NodeFinderClient | null): void {
    if (finder === this.finder) return;
    this.finder = finder;
    this.nodeProposal = null;
    if (!this.image || this.roiSource === 'user' || (this.roiSource === 'node' && !this.autoNode)) return;
    // The previous pack's node crop does not fit the new pack's convention: start from the image area.
    if (this.roiSource === 'node') this.propose();
    void this.proposeNode();
  }

  /** The picture area node crops stay inside: the image area found, else the whole image. */
  private imageArea(img: DecodedImage): Rect {
    return this.area ?? { x: 0, y: 0, width: img.pixels.width, height: img.pixels.height };
  }

  /**
   * The crop around a node, as the pack's manifest declares it (node box + margin). A pack that
   * declares no node crops (or wants the image area) keeps the region it had. False: nothing changed.
   */
  private followNode(f: NodeFinding): boolean {
    const img = this.image;
    if (!img) return false;
    const crop = this.finder?.crop ?? DEFAULT_CROP;
    if (crop.kind !== 'node-box-margin') return false;
    const r = cropForNode(f.box, crop, this.imageArea(img));
    if (r.width < MIN_ROI_SIDE || r.height < MIN_ROI_SIDE) return false;
    this.roi = r;
    this.roiSource = 'node';
    this.roiReason = null;
    this.bump();
    return true;
  }

  /**
   * Asks the learned finder (when the pack has one and crops around nodes) for the node in the
   * picture area; its crop replaces the image area. Unsure (null): the region stays and the UI says
   * so. Dropped when the image changed, the user set a region or outline, or the pack changed meanwhile.
   */
  proposeNode(): Promise<void> {
    const asked = this.findNode().catch(() => undefined);
    this.proposal = asked;
    return asked;
  }

  /** Resolves once the automatic proposal asked for last has landed (or was dropped). */
  proposalSettled(): Promise<void> {
    return this.proposal;
  }

  private async findNode(): Promise<void> {
    const img = this.image;
    const finder = this.finder;
    if (!img || !finder || finder.crop.kind !== 'node-box-margin' || this.roiSource === 'user') return;
    const ticket = this.choice,
      edits = this.edits;
    this.nodeProposal = 'looking';
    // The whole frame, as the finder was trained and measured: on 40 simulated frames it proposed
    // tighter crops (2–3× the node box) than on the image area alone (3–6×), holding the node as often.
    const f = await finder.proposeNode(this.modality, img.pixels).catch(() => null);
    if (ticket !== this.choice || this.image !== img || edits !== this.edits || this.finder !== finder) return;
    // A node outside the picture area (in the chrome) is no node: unsure, the region stays.
    const followed = !!f && this.followNode(f);
    this.nodeProposal = followed ? null : 'unsure';
    if (followed) {
      this.autoNode = true;
      // Its outline gives the axes too (editable as a clicked one).
      this.node.adoptProposal(f);
    }
  }

  /** Click-to-outline: the node around `at`; the crop follows it. */
  async outlineAt(at: { x: number; y: number }): Promise<void> {
    this.edits++;
    this.nodeProposal = null;
    const f = await this.node.outlineAt(at);
    if (f && this.followNode(f)) this.autoNode = false;
  }

  /** The user edited the outline: axes are recomputed and the crop follows. */
  editOutline(outline: ReadonlyArray<readonly [number, number]>): void {
    this.edits++;
    this.node.setOutline(outline);
    if (this.node.outline && this.followNode(this.node.outline)) this.autoNode = false;
  }

  clear(): void {
    this.begin(false);
    this.image = null;
    this.file = null;
    this.fileName = null;
    this.roi = null;
    this.warning = null;
    this.error = null;
    this.node.reset(null, null);
    this.bump();
  }
}

/** One slot per modality of the registry, in its order. */
