/**
 * Seeded outline and axes against the data sets' masks: the seed is the mask's centroid (or, when
 * the centroid falls outside a crescent-shaped mask, the mask pixel nearest to it), as a user's
 * click in the middle of the node. Reports Dice and IoU of the outline's filled polygon, and how
 * often the long and short axes fall within 10 % of those measured on the mask's own outline.
 */

import { axesFromOutline, outlineFromSeed, traceBoundary } from '../../src/imaging';
import type { MaskedImage } from './data';

/** Fills a closed polygon (even-odd, pixel centres) into a 0/1 mask. */
export function fillPolygon(w: number, h: number, poly: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const cy = y + 0.5;
    const xs: number[] = [];
    for (let i = 0; i < poly.length; i++) {
      const a = poly[i]!,
        b = poly[(i + 1) % poly.length]!;
      if ((a[1] <= cy && b[1] > cy) || (b[1] <= cy && a[1] > cy)) xs.push(a[0] + ((cy - a[1]) / (b[1] - a[1])) * (b[0] - a[0]));
    }
    xs.sort((p, q) => p - q);
    for (let k = 0; k + 1 < xs.length; k += 2)
      for (let x = Math.max(0, Math.ceil(xs[k]! - 0.5)); x <= Math.min(w - 1, Math.floor(xs[k + 1]! - 0.5)); x++)
        m[y * w + x] = 1;
  }
  return m;
}

/** The mask's largest blob only (a few masks hold two lesions; the click is on one). */
export function largestBlob(w: number, h: number, mask: Uint8Array): Uint8Array {
  const lab = new Int32Array(w * h);
  let best = 0,
    bestN = 0,
    next = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i] || lab[i]) continue;
    next++;
    let n = 0;
    const st = [i];
    lab[i] = next;
    while (st.length) {
      const j = st.pop()!;
      n++;
      const x = j % w;
      for (const k of [x > 0 ? j - 1 : -1, x < w - 1 ? j + 1 : -1, j - w, j + w])
        if (k >= 0 && k < mask.length && mask[k] && !lab[k]) {
          lab[k] = next;
          st.push(k);
        }
    }
    if (n > bestN) {
      bestN = n;
      best = next;
    }
  }
  return Uint8Array.from(lab, (l) => (l === best ? 1 : 0));
}

export function seedOf(w: number, mask: Uint8Array): { x: number; y: number } {
  let sx = 0,
    sy = 0,
    n = 0;
  for (let i = 0; i < mask.length; i++)
    if (mask[i]) {
      sx += i % w;
      sy += Math.floor(i / w);
      n++;
    }
  const cx = sx / n,
    cy = sy / n;
  const ci = Math.round(cy) * w + Math.round(cx);
  if (mask[ci]) return { x: cx + 0.5, y: cy + 0.5 };
  let best = -1,
    bd = Infinity;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const d = ((i % w) - cx) ** 2 + (Math.floor(i / w) - cy) ** 2;
    if (d < bd) {
      bd = d;
      best = i;
    }
  }
  return { x: (best % w) + 0.5, y: Math.floor(best / w) + 0.5 };
}

export function evaluateOutlines(items: MaskedImage[]): void {
  type Row = { n: number; found: number; dice: number[]; iou: number[]; longOk: number; shortOk: number; ms: number[] };
  const rows = new Map<string, Row>();
  for (const it of items) {
    if (!it.mask) continue;
    const { width: w, height: h } = it.image;
    const mask = largestBlob(w, h, it.mask);
    const r = rows.get(it.source) ?? { n: 0, found: 0, dice: [], iou: [], longOk: 0, shortOk: 0, ms: [] };
    rows.set(it.source, r);
    r.n++;
    const t0 = performance.now();
    const res = outlineFromSeed(it.image, seedOf(w, mask));
    r.ms.push(performance.now() - t0);
    if (!res.ok) {
      r.dice.push(0);
      r.iou.push(0);
      continue;
    }
    r.found++;
    const pred = fillPolygon(w, h, res.finding.outline);
    let inter = 0,
      a = 0,
      b = 0;
    for (let i = 0; i < mask.length; i++) {
      inter += mask[i]! & pred[i]!;
      a += mask[i]!;
      b += pred[i]!;
    }
    r.dice.push((2 * inter) / (a + b));
    r.iou.push(inter / (a + b - inter));
    // The mask's own outline, traced the same way (pixel centres, offset by half a pixel).
    const ref = axesFromOutline(traceBoundary(w, h, mask).map(([x, y]) => [x + 0.5, y + 0.5] as const));
    const got = axesFromOutline(res.finding.outline);
    if (ref && got) {
      if (Math.abs(got.longPx - ref.longPx) <= 0.1 * ref.longPx) r.longOk++;
      if (Math.abs(got.shortPx - ref.shortPx) <= 0.1 * ref.shortPx) r.shortOk++;
    }
  }
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)] ?? 0;
  const mean = (a: number[]) => a.reduce((p, q) => p + q, 0) / (a.length || 1);
  console.log('\n### Seeded outline vs data set masks (seed at the mask centroid)\n');
  console.log(
    '| source | masks | outline found | mean Dice | median Dice | mean IoU | long axis within 10 % | short axis within 10 % | median ms | max ms |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [src, r] of rows)
    console.log(
      `| ${src} | ${r.n} | ${r.found} | ${mean(r.dice).toFixed(3)} | ${med(r.dice).toFixed(3)} | ${mean(r.iou).toFixed(3)} | ${r.longOk} (${((100 * r.longOk) / r.n).toFixed(1)} %) | ${r.shortOk} (${((100 * r.shortOk) / r.n).toFixed(1)} %) | ${med(r.ms).toFixed(0)} | ${Math.max(...r.ms).toFixed(0)} |`,
    );
}
