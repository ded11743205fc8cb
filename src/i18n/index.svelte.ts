/**
 * The current language. Components read `i18n.m` (reactive), so switching language re-renders
 * every string at once. More languages register in `catalogs`.
 */

import { en, type Messages } from './en';

export type Locale = 'en';

const catalogs: Record<Locale, Messages> = { en };

class I18n {
  locale = $state<Locale>('en');
  get m(): Messages {
    return catalogs[this.locale];
  }
  setLocale(l: Locale): void {
    this.locale = l;
  }
}

export const i18n = new I18n();
export type { Messages };

/** A class's name in the current language: the catalogue's for known ids, else the model pack's label. */
export function classLabel(c: { id: string; label: string }): string {
  return i18n.locale === 'en' ? c.label : (i18n.m.classes[c.id] ?? c.label);
}
