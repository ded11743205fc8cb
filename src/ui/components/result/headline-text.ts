/** The headline's sentence in the current language (the same words on screen and in the live region). */

import { percentText, type Headline } from '../../../analysis';
import { classLabel, i18n } from '../../../i18n/index.svelte';
import type { ClassInfo } from '../../../model-pack';

/** A class's whole percentage as shown (e.g. "42%", ">99%"). */
export function shownPercent(h: Headline, index: number): string {
  const r = h.ranked.find((c) => c.index === index);
  return r ? i18n.m.result.percent(percentText(r.probability, r.percent)) : '';
}

export function headlineSentence(h: Headline, classes: readonly ClassInfo[]): string {
  const name = (i: number) => (classes[i] ? classLabel(classes[i]) : '');
  const m = i18n.m.result;
  if (h.confidence === 'indeterminate' && h.second !== null)
    return m.headlineIndeterminate(name(h.top), shownPercent(h, h.top), name(h.second), shownPercent(h, h.second));
  return m.headlineLikely(name(h.top), m.confidence[h.confidence], shownPercent(h, h.top));
}
