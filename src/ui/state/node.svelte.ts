/**
 * The node in one slot's image: its outline (from the learned node finder when a pack brings one,
 * else the seeded segmentation run off the UI thread), its axes (recomputed from the outline, or
 * set by the user's calipers), and the image's physical scale (DICOM, or the user's two clicks on
 * the depth ruler, remembered per scanner layout). A refused click or scale leaves what the user
 * had untouched and says why.
 */

import {
  axesFromOutline,
  dicomScale,
  layoutKey,
  sameLayoutArea,
  measureAxes,
  outlineBox,
  outlineOffThread,
  userScale,
  type DecodedImage,
  type ImageScale,
  type NodeAxes,
  type RgbaImage,
  type ScaleProblem,
  type Segment,
} from '../../imaging';
import type { ModalityId, NodeFinding, NodeMeasurement, RoiSource } from '../../domain';
import type { CropConvention } from '../../model-pack';

/** The learned node finder as the inference runtime exposes it (absent until a pack brings one). */
export interface NodeFinderClient {
  /** The crop the pack's classifier expects (its manifest declares it). */
  crop: CropConvention;
  proposeNode(modality: ModalityId, image: RgbaImage): Promise<NodeFinding | null>;
  outlineAt(modality: ModalityId, image: RgbaImage, at: { x: number; y: number }): Promise<NodeFinding | null>;
}

export type NodeProblem = 'no-structure' | 'outside-image' | 'outline-failed' | 'roi-too-small' | ScaleProblem;

const SCALE_STORE = 'lymphscope.ruler-scale.v1';

type Area = { x: number; y: number; width: number; height: number };
type Remembered = { area: Area | null; mm: number };

const isArea = (v: unknown): v is Area =>
  !!v && typeof v === 'object' && ['x', 'y', 'width', 'height'].every((k) => Number.isFinite((v as Record<string, unknown>)[k]));

/** Remembered ruler calibrations, per image size. Validated on read: storage is outside data. */
function storedScales(): Record<string, Remembered[]> {
  try {
    const raw: unknown = JSON.parse(globalThis.localStorage?.getItem(SCALE_STORE) ?? '{}');
    if (!raw || typeof raw !== 'object') return {};
    const out: Record<string, Remembered[]> = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (!Array.isArray(v)) continue;
      out[k] = v.filter(
        (e): e is Remembered =>
          !!e &&
          typeof e === 'object' &&
          typeof (e as Remembered).mm === 'number' &&
          (e as Remembered).mm > 0 &&
          (e as Remembered).mm < 2 &&
          ((e as Remembered).area === null || isArea((e as Remembered).area)),
      );
    }
    return out;
  } catch {
    return {};
  }
}

function saveScales(all: Record<string, Remembered[]>): void {
  try {
    // Keep the store small: the most recent 50 image sizes, 10 layouts each.
    const entries = Object.entries(all)
      .slice(-50)
      .map(([k, v]) => [k, v.slice(-10)] as const);
    globalThis.localStorage?.setItem(SCALE_STORE, JSON.stringify(Object.fromEntries(entries)));
  } catch {
    // Storage unavailable (private mode, full): the scale still applies to this image.
  }
}

export class NodeState {
  outline = $state.raw<NodeFinding | null>(null);
  /** Where the outline came from: the finder's automatic proposal, a click (finder or seeded). */
  outlineFrom = $state<'proposal' | 'finder' | 'seeded' | null>(null);
  axes = $state.raw<NodeAxes | null>(null);
  /** True once the user moved a caliper: the axes are theirs, not the outline's. */
  calipersEdited = $state(false);
  scale = $state.raw<ImageScale | null>(null);
  problem = $state<NodeProblem | null>(null);
  busy = $state(false);
  private image: DecodedImage | null = null;
  /** The picture area of a screenshot (the outline stays inside it); null: the whole image. */
  private area: Area | null = null;
  private layout = '';
  private ticket = 0;
  /** The user moved points of the current outline or its calipers: a proposal never replaces it then. */
  private touched = false;

  constructor(
    private readonly modality: ModalityId,
    private readonly finder: () => NodeFinderClient | null,
  ) {}

  /** A new image: no outline yet; the scale from the file, else one remembered for this layout. */
  reset(image: DecodedImage | null, area: { x: number; y: number; width: number; height: number } | null): void {
    this.ticket++;
    this.image = image;
    // A plain copy: the slot's region is reactive state, which cannot be posted to a worker.
    this.area = area ? { x: area.x, y: area.y, width: area.width, height: area.height } : null;
    this.outline = null;
    this.outlineFrom = null;
    this.axes = null;
    this.calipersEdited = false;
    this.touched = false;
    this.problem = null;
    this.busy = false;
    this.scale = null;
    if (!image) return;
    this.layout = layoutKey(image.pixels.width, image.pixels.height);
    this.updateFileScale();
    if (!this.scale) {
      const mm = storedScales()[this.layout]?.find((e) => sameLayoutArea(e.area, this.area))?.mm;
      if (mm) this.scale = { spacing: { x: mm, y: mm }, source: 'user' };
    }
  }

  /** The file's scale for the current outline (per-region), unless the user set their own. */
  private updateFileScale(): void {
    const img = this.image;
    if (!img || this.scale?.source === 'user') return;
    const box = this.outline?.box ?? null;
    const { scale, problem } = dicomScale(box, img.regionSpacingsMm ?? [], img.pixelSpacingMm ?? null, img.spacingSource);
    this.scale = scale;
    if (problem) this.problem = problem;
  }

  /**
   * Outlines the node around `at` (image pixels). Returns the finding, or null with `problem` set
   * (the previous outline stays).
   */
  async outlineAt(at: { x: number; y: number }): Promise<NodeFinding | null> {
    const img = this.image;
    if (!img) return null;
    const ticket = ++this.ticket;
    this.busy = true;
    this.problem = null;
    let found: NodeFinding | null = null;
    let from: 'finder' | 'seeded' = 'seeded';
    try {
      const finder = this.finder();
      // The finder sees the whole frame, as in its training and measurements (docs/node-finder.md);
      // a click in the chrome around the picture area is not asked (no node there).
      const a = this.area;
      const inArea = !a || (at.x >= a.x && at.y >= a.y && at.x < a.x + a.width && at.y < a.y + a.height);
      const learned = finder && inArea ? await finder.outlineAt(this.modality, img.pixels, at) : null;
      if (ticket !== this.ticket) return null;
      // The finder is used when it is reasonably sure; otherwise the seeded segmentation decides.
      if (learned && learned.score >= 0.5 && learned.outline.length >= 3) {
        found = learned;
        from = 'finder';
      } else {
        const r = await outlineOffThread(img.pixels, at, this.area ?? undefined);
        if (ticket !== this.ticket) return null;
        if (r.ok) found = r.finding;
        else this.problem = r.reason;
      }
    } catch {
      if (ticket === this.ticket) this.problem = 'outline-failed';
    }
    if (ticket !== this.ticket) return null;
    this.busy = false;
    if (!found) return null;
    this.outline = found;
    this.outlineFrom = from;
    this.calipersEdited = false;
    this.touched = false;
    this.updateFileScale();
    this.recompute();
    return found;
  }

  /**
   * The finder's automatic proposal becomes the outline, so its axes show without a click; the user
   * edits it (points, calipers) or clicks to replace it as any outline. Not when the user already has one.
   */
  adoptProposal(finding: NodeFinding): boolean {
    if (!this.image || finding.outline.length < 3) return false;
    if (this.outline && (this.outlineFrom !== 'proposal' || this.touched || this.calipersEdited)) return false;
    this.ticket++;
    this.busy = false;
    this.outline = finding;
    this.outlineFrom = 'proposal';
    this.calipersEdited = false;
    this.updateFileScale();
    this.recompute();
    return true;
  }

  /** The user moved outline vertices. */
  setOutline(outline: ReadonlyArray<readonly [number, number]>): void {
    if (!this.outline || outline.length < 3) return;
    this.outline = { ...this.outline, outline, box: outlineBox(outline) };
    this.calipersEdited = false;
    this.touched = true;
    this.recompute();
  }

  /** The user moved a caliper end. */
  setCalipers(long: Segment, short: Segment): void {
    this.axes = measureAxes(long, short, this.scale?.spacing ?? null);
    this.calipersEdited = true;
  }

  /** Two clicked ruler ticks `distMm` apart. A refused value keeps the scale the image had. */
  setRulerScale(a: { x: number; y: number }, b: { x: number; y: number }, distMm: number): boolean {
    const r = userScale(a, b, distMm);
    if (!r.ok) {
      this.problem = r.problem;
      return false;
    }
    this.problem = null;
    this.scale = r.scale;
    const all = storedScales();
    all[this.layout] = [
      ...(all[this.layout] ?? []).filter((e) => !sameLayoutArea(e.area, this.area)),
      { area: this.area, mm: r.scale.spacing.x },
    ];
    saveScales(all);
    this.rescale();
    return true;
  }

  /** Forgets the user's ruler scale for this layout; the file's scale (if any) applies again. */
  clearRulerScale(): void {
    if (this.scale?.source !== 'user') return;
    const all = storedScales();
    all[this.layout] = (all[this.layout] ?? []).filter((e) => !sameLayoutArea(e.area, this.area));
    saveScales(all);
    this.scale = null;
    this.updateFileScale();
    this.rescale();
  }

  noteProblem(p: NodeProblem | null): void {
    this.problem = p;
  }

  private recompute(): void {
    this.axes = this.outline ? axesFromOutline(this.outline.outline, this.scale?.spacing ?? null) : null;
  }

  private rescale(): void {
    if (this.axes && this.calipersEdited) this.axes = measureAxes(this.axes.long, this.axes.short, this.scale?.spacing ?? null);
    else this.recompute();
  }

  /** What goes into the analysis result, when there is something measured. */
  measurement(roiSource: RoiSource): NodeMeasurement | null {
    const a = this.axes;
    if (!a) return null;
    return {
      roiSource,
      longAxisPx: a.longPx,
      shortAxisPx: a.shortPx,
      ratio: a.ratio,
      longAxisMm: a.longMm ?? null,
      shortAxisMm: a.shortMm ?? null,
      scaleSource: a.longMm !== undefined ? (this.scale?.source ?? null) : null,
    };
  }
}
