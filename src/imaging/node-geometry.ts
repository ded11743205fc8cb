/**
 * The node finder's input and the geometry of its output, in plain TypeScript (no tfjs): the runtime
 * runs the model in between. The rules are training/finder/geometry.py's, so the figures in the
 * model card describe what the app does: logit > 0 is foreground; 8-connected components; the
 * largest one (automatic proposal) or the one under / nearest the click; confidence = mean
 * probability over it; unsure (null) below the pack's threshold or under `minArea` pixels.
 */

import type { NodeFinding, RoiRect } from '../domain';
import type { CropConvention, NodeFinderSpec } from '../model-pack';
import { resizeBilinearAntialias, type RgbaImage } from './resize';
import type { Rect } from './roi';

/** A point in image pixels, continuous: pixel x covers [x, x + 1). */
export interface ImagePoint {
  x: number;
  y: number;
}

/** NHWC float32 [size, size, 2] (no batch axis): normalised luma, then the click prompt. */
export function finderInput(img: RgbaImage, spec: NodeFinderSpec, click?: ImagePoint): Float32Array {
  const s = spec.inputSize;
  const small = resizeBilinearAntialias(img, s, s);
  const { luma, scale, mean, std } = spec.normalisation;
  const out = new Float32Array(s * s * 2);
  for (let i = 0; i < s * s; i++) {
    const y = small.data[i * 4]! * luma[0] + small.data[i * 4 + 1]! * luma[1] + small.data[i * 4 + 2]! * luma[2];
    out[i * 2] = (y * scale - mean) / std;
  }
  if (click && spec.prompt) {
    const u = (click.x * s) / img.width;
    const v = (click.y * s) / img.height;
    const k = 1 / (2 * spec.prompt.sigma * spec.prompt.sigma);
    for (let r = 0; r < s; r++) {
      const dy = r + 0.5 - v;
      for (let c = 0; c < s; c++) {
        const dx = c + 0.5 - u;
        out[(r * s + c) * 2 + 1] = Math.exp(-(dx * dx + dy * dy) * k);
      }
    }
  }
  return out;
}

/** 8-connected component labels (1, 2, … in raster order of their first pixel; 0 = background). */
export function labelComponents(fg: Uint8Array, size: number): { labels: Int32Array; areas: number[] } {
  const labels = new Int32Array(size * size);
  const areas = [0];
  const stack: number[] = [];
  for (let start = 0; start < fg.length; start++) {
    if (!fg[start] || labels[start]) continue;
    const id = areas.length;
    let area = 0;
    labels[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      area++;
      const px = p % size;
      const py = (p - px) / size;
      for (let dy = -1; dy <= 1; dy++) {
        const y = py + dy;
        if (y < 0 || y >= size) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const x = px + dx;
          if (x < 0 || x >= size) continue;
          const q = y * size + x;
          if (fg[q] && !labels[q]) {
            labels[q] = id;
            stack.push(q);
          }
        }
      }
    }
    areas.push(area);
  }
  return { labels, areas };
}

/** The chosen component's id, or 0 when there is none (or the click is too far from any). */
function choose(labels: Int32Array, areas: number[], size: number, clickRadius: number, at?: { u: number; v: number }): number {
  if (areas.length < 2) return 0;
  if (!at) {
    let best = 1;
    for (let id = 2; id < areas.length; id++) if (areas[id]! > areas[best]!) best = id;
    return best;
  }
  const cx = Math.min(Math.max(Math.floor(at.u), 0), size - 1);
  const cy = Math.min(Math.max(Math.floor(at.v), 0), size - 1);
  const under = labels[cy * size + cx]!;
  if (under) return under;
  let best = 0;
  let bestD = Infinity;
  for (let p = 0; p < labels.length; p++) {
    if (!labels[p]) continue;
    const x = p % size;
    const dx = x + 0.5 - at.u;
    const dy = (p - x) / size + 0.5 - at.v;
    const d = dx * dx + dy * dy;
    if (d < bestD) {
      bestD = d;
      best = labels[p]!;
    }
  }
  const r = clickRadius * size;
  return bestD <= r * r ? best : 0;
}

/**
 * The outer boundary of component `id` along pixel edges, as polygon vertices at pixel corners
 * (clockwise on screen). At a corner where two diagonal pixels touch, the walk turns toward the
 * other pixel, so an 8-connected component gets one outline.
 */
export function traceOutline(labels: Int32Array, size: number, id: number): [number, number][] {
  const at = (x: number, y: number) => x >= 0 && y >= 0 && x < size && y < size && labels[y * size + x] === id;
  const w = size + 1;
  // Outgoing boundary edges per corner, one bit per direction: 0 right, 1 down, 2 left, 3 up.
  const out = new Uint8Array(w * w);
  let start = -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!at(x, y)) continue;
      if (start < 0) start = y * w + x;
      if (!at(x, y - 1)) out[y * w + x]! |= 1;
      if (!at(x + 1, y)) out[y * w + x + 1]! |= 2;
      if (!at(x, y + 1)) out[(y + 1) * w + x + 1]! |= 4;
      if (!at(x - 1, y)) out[(y + 1) * w + x]! |= 8;
    }
  }
  if (start < 0) return [];
  const step = [
    [1, 0],
    [0, 1],
    [-1, 0],
    [0, -1],
  ] as const;
  const pts: [number, number][] = [];
  let v = start;
  let d = 0;
  out[v]! &= ~1;
  for (let guard = 0; guard < 4 * w * w; guard++) {
    const vx = (v % w) + step[d]![0];
    const vy = Math.floor(v / w) + step[d]![1];
    v = vy * w + vx;
    if (v === start && !(out[v]! & 0xf)) break;
    let next = -1;
    for (const turn of [3, 0, 1]) {
      const nd = (d + turn) % 4;
      if (out[v]! & (1 << nd)) {
        next = nd;
        break;
      }
    }
    if (next < 0) break;
    if (next !== d) pts.push([vx, vy]);
    out[v]! &= ~(1 << next);
    d = next;
  }
  if (pts.length === 0 || pts[0]![0] !== start % w || pts[0]![1] !== Math.floor(start / w)) {
    pts.unshift([start % w, Math.floor(start / w)]);
  }
  return pts;
}

/** Douglas–Peucker on a closed polygon: drops vertices closer than `epsilon` to the simplified outline. */
export function simplifyClosed(pts: [number, number][], epsilon: number): [number, number][] {
  if (pts.length <= 4) return pts;
  // Split at the vertex farthest from the first, simplify both open halves.
  let far = 1;
  let farD = -1;
  for (let i = 1; i < pts.length; i++) {
    const d = (pts[i]![0] - pts[0]![0]) ** 2 + (pts[i]![1] - pts[0]![1]) ** 2;
    if (d > farD) {
      farD = d;
      far = i;
    }
  }
  const a = simplifyOpen(pts.slice(0, far + 1), epsilon);
  const b = simplifyOpen([...pts.slice(far), pts[0]!], epsilon);
  return [...a.slice(0, -1), ...b.slice(0, -1)];
}

function simplifyOpen(pts: [number, number][], epsilon: number): [number, number][] {
  if (pts.length <= 2) return pts;
  const [x0, y0] = pts[0]!;
  const [x1, y1] = pts[pts.length - 1]!;
  const len = Math.hypot(x1 - x0, y1 - y0);
  let worst = 0;
  let idx = 0;
  for (let i = 1; i < pts.length - 1; i++) {
    const [x, y] = pts[i]!;
    const d = len > 0 ? Math.abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) / len : Math.hypot(x - x0, y - y0);
    if (d > worst) {
      worst = d;
      idx = i;
    }
  }
  if (worst <= epsilon) return [pts[0]!, pts[pts.length - 1]!];
  return [...simplifyOpen(pts.slice(0, idx + 1), epsilon).slice(0, -1), ...simplifyOpen(pts.slice(idx), epsilon)];
}

/**
 * The finder's proposal from its logits (size × size, row-major) for an image of `width × height`;
 * null when it is unsure. `click` (image pixels) asks for the node under or near that point.
 */
export function findingFromLogits(
  logits: Float32Array,
  spec: NodeFinderSpec,
  width: number,
  height: number,
  click?: ImagePoint,
): NodeFinding | null {
  const found = candidateFromLogits(logits, spec, width, height, click);
  return found && found.score >= spec.threshold ? found : null;
}

/**
 * The component `findingFromLogits` would choose, whatever its confidence: the coarse pass of
 * coarse-to-fine looks closer at an unsure proposal before deciding. Null only when there is none.
 */
export function candidateFromLogits(
  logits: Float32Array,
  spec: NodeFinderSpec,
  width: number,
  height: number,
  click?: ImagePoint,
): NodeFinding | null {
  const s = spec.inputSize;
  if (logits.length !== s * s) throw new Error(`expected ${s * s} logits, got ${logits.length}`);
  const fg = new Uint8Array(s * s);
  for (let i = 0; i < fg.length; i++) fg[i] = logits[i]! > 0 ? 1 : 0;
  const { labels, areas } = labelComponents(fg, s);
  const at = click ? { u: (click.x * s) / width, v: (click.y * s) / height } : undefined;
  const id = choose(labels, areas, s, spec.clickRadius, at);
  if (!id || areas[id]! < spec.minArea) return null;
  let sum = 0;
  let x0 = s;
  let y0 = s;
  let x1 = 0;
  let y1 = 0;
  for (let p = 0; p < labels.length; p++) {
    if (labels[p] !== id) continue;
    sum += 1 / (1 + Math.exp(-logits[p]!));
    const x = p % s;
    const y = (p - x) / s;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + 1);
    y1 = Math.max(y1, y + 1);
  }
  const score = sum / areas[id]!;
  // (x · width) / s, as training/finder/geometry.py computes it: exact for whole-pixel boxes.
  const bx0 = Math.floor((x0 * width) / s);
  const by0 = Math.floor((y0 * height) / s);
  const box: RoiRect = { x: bx0, y: by0, width: Math.ceil((x1 * width) / s) - bx0, height: Math.ceil((y1 * height) / s) - by0 };
  // Half a model pixel smooths the staircase of the pixel edges without moving the outline.
  const outline = simplifyClosed(traceOutline(labels, s, id), 0.5).map(([x, y]) => [(x * width) / s, (y * height) / s] as const);
  return { box, outline, score };
}

/**
 * The crop a pack expects around a node box: `node-box-margin` grows it by margin × its longer side on
 * every side (kept inside `area`); `image-area` is `area` itself.
 */
export function cropForNode(box: RoiRect, crop: CropConvention, area: RoiRect): RoiRect {
  if (crop.kind === 'image-area') return { ...area };
  const m = crop.margin * Math.max(box.width, box.height);
  const x0 = Math.max(area.x, Math.floor(box.x - m));
  const y0 = Math.max(area.y, Math.floor(box.y - m));
  const x1 = Math.min(area.x + area.width, Math.ceil(box.x + box.width + m));
  const y1 = Math.min(area.y + area.height, Math.ceil(box.y + box.height + m));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

// Coarse-to-fine: after the pass on the whole frame, the finder runs again on a square window around
// the coarse box, so a node that got a few model pixels of the whole frame fills the input. The same
// constants are in training/finder/geometry.py (training samples and the measured figures).
/** Window side = this × the coarse box's longer side … */
export const FINE_CONTEXT = 2.0;
/** … but at least this many image pixels (a few-pixel speck is not blown up twenty times). */
export const FINE_MIN_SIDE = 32;
/** No second pass when the window would cover this share of both sides: it would see what the first did. */
export const FINE_SKIP = 0.8;

/**
 * The fine pass's window around `box` (image pixels of a `width × height` image): integer, square
 * where the image allows it, centred on the box and shifted to lie inside the image; null when it
 * would be (almost) the whole image.
 */
export function fineWindow(box: RoiRect, width: number, height: number): Rect | null {
  const side = Math.max(Math.ceil(Math.max(box.width, box.height) * FINE_CONTEXT), FINE_MIN_SIDE);
  const ws = Math.min(side, width);
  const hs = Math.min(side, height);
  if (ws >= FINE_SKIP * width && hs >= FINE_SKIP * height) return null;
  // Twice the centre minus the side, halved and floored: integer arithmetic, as geometry.py does.
  const x = Math.min(Math.max(Math.floor((2 * box.x + box.width - ws) / 2), 0), width - ws);
  const y = Math.min(Math.max(Math.floor((2 * box.y + box.height - hs) / 2), 0), height - hs);
  return { x, y, width: ws, height: hs };
}

/** A finding made on the crop `window` of an image, in the coordinates of the whole image. */
export function findingInImage(finding: NodeFinding, window: Rect): NodeFinding {
  return {
    box: { ...finding.box, x: finding.box.x + window.x, y: finding.box.y + window.y },
    outline: finding.outline.map(([x, y]) => [x + window.x, y + window.y] as const),
    score: finding.score,
  };
}
