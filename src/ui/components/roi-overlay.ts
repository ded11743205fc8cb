/**
 * Drawing and hit-testing of what lies over the image in the ROI editor: the node's outline with
 * its vertices, the two calipers (long and short axis), the clicked ruler ticks and the keyboard
 * cursor. Coordinates in image pixels; `s` is display pixels per image pixel.
 */

/** 'roi': drag the region; 'outline': click in the node, drag outline vertices; 'scale': click ruler ticks. */
export type EditorMode = 'roi' | 'outline' | 'scale';

export type Pt = readonly [number, number];
export type Seg = readonly [Pt, Pt];

export interface Overlay {
  outline: ReadonlyArray<Pt> | null;
  /** Vertices are drawn as handles only while the outline is being edited. */
  editable: boolean;
  axes: { long: Seg; short: Seg } | null;
  rulerPoints: ReadonlyArray<{ x: number; y: number }>;
  cursor: { x: number; y: number } | null;
}

const OUTLINE = '#3ee0a0';
const LONG = '#ff8a3d';
const SHORT = '#46b4ff';

function caliper(ctx: CanvasRenderingContext2D, seg: Seg, s: number, colour: string): void {
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2;
  ctx.setLineDash([6, 4]);
  ctx.beginPath();
  ctx.moveTo(seg[0][0] * s, seg[0][1] * s);
  ctx.lineTo(seg[1][0] * s, seg[1][1] * s);
  ctx.stroke();
  ctx.setLineDash([]);
  for (const p of seg) {
    // '+' ends, as scanner calipers look.
    ctx.beginPath();
    ctx.moveTo(p[0] * s - 6, p[1] * s);
    ctx.lineTo(p[0] * s + 6, p[1] * s);
    ctx.moveTo(p[0] * s, p[1] * s - 6);
    ctx.lineTo(p[0] * s, p[1] * s + 6);
    ctx.stroke();
  }
}

export function drawOverlay(ctx: CanvasRenderingContext2D, o: Overlay, s: number): void {
  ctx.save();
  if (o.outline && o.outline.length >= 3) {
    ctx.strokeStyle = OUTLINE;
    ctx.lineWidth = 2;
    ctx.beginPath();
    o.outline.forEach((p, i) => (i ? ctx.lineTo(p[0] * s, p[1] * s) : ctx.moveTo(p[0] * s, p[1] * s)));
    ctx.closePath();
    ctx.stroke();
    if (o.editable) {
      ctx.fillStyle = OUTLINE;
      for (const p of o.outline) ctx.fillRect(p[0] * s - 3, p[1] * s - 3, 6, 6);
    }
  }
  if (o.axes) {
    caliper(ctx, o.axes.long, s, LONG);
    caliper(ctx, o.axes.short, s, SHORT);
  }
  ctx.fillStyle = '#ff4fd8';
  for (const p of o.rulerPoints) {
    ctx.beginPath();
    ctx.arc(p.x * s, p.y * s, 4, 0, 2 * Math.PI);
    ctx.fill();
  }
  if (o.cursor) {
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 1.5;
    const { x, y } = o.cursor;
    ctx.beginPath();
    ctx.moveTo(x * s - 10, y * s);
    ctx.lineTo(x * s + 10, y * s);
    ctx.moveTo(x * s, y * s - 10);
    ctx.lineTo(x * s, y * s + 10);
    ctx.stroke();
  }
  ctx.restore();
}

/** Index of the outline vertex within `tol` image pixels of (x, y), or -1. */
export function hitVertex(outline: ReadonlyArray<Pt> | null, x: number, y: number, tol: number): number {
  if (!outline) return -1;
  let best = -1,
    bd = tol;
  outline.forEach((p, i) => {
    const d = Math.hypot(p[0] - x, p[1] - y);
    if (d <= bd) {
      bd = d;
      best = i;
    }
  });
  return best;
}

/** Which caliper end is within `tol` of (x, y): [axis, end] or null. */
export function hitCaliper(axes: Overlay['axes'], x: number, y: number, tol: number): ['long' | 'short', 0 | 1] | null {
  if (!axes) return null;
  for (const k of ['long', 'short'] as const)
    for (const e of [0, 1] as const) {
      const p = axes[k][e];
      if (Math.hypot(p[0] - x, p[1] - y) <= tol) return [k, e];
    }
  return null;
}
