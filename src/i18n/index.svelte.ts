/**
 * The current language. Components read `i18n.m` (reactive), so switching language re-renders
 * every string at once. The choice is remembered in this browser; the first visit follows the
 * browser's language. `<html lang>` follows the choice (screen readers, fonts, hyphenation).
 */

import { en, type Messages } from './en';
import { htmlLang, LOCALE_KEY, pickLocale, type Locale } from './locale';
import { zh } from './zh';

export type { Locale };
export { htmlLang, isLocale, LOCALE_NAMES, LOCALES } from './locale';

const catalogs: Record<Locale, Messages> = { en, zh };

function initialLocale(): Locale {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(LOCALE_KEY);
  } catch {
    // storage unavailable (private mode): follow the browser
  }
  const langs = typeof navigator === 'undefined' ? [] : navigator.languages?.length ? navigator.languages : [navigator.language];
  return pickLocale(stored, langs);
}

function applyLang(l: Locale): void {
  if (typeof document !== 'undefined') document.documentElement.lang = htmlLang(l);
}

class I18n {
  locale = $state<Locale>(initialLocale());
  constructor() {
    applyLang(this.locale);
  }
  get m(): Messages {
    return catalogs[this.locale];
  }
  setLocale(l: Locale): void {
    this.locale = l;
    applyLang(l);
    try {
      localStorage.setItem(LOCALE_KEY, l);
    } catch {
      // not remembered, still applied
    }
  }
}

export const i18n = new I18n();
export type { Messages };

/** A class's name in the current language: the catalogue's for known ids, else the model pack's label. */
export function classLabel(c: { id: string; label: string }): string {
  return i18n.locale === 'en' ? c.label : (i18n.m.classes[c.id] ?? c.label);
}
