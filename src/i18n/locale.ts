/** Which language to show: the one the user chose (remembered), else the browser's, else English. */

export const LOCALES = ['en', 'zh'] as const;
export type Locale = (typeof LOCALES)[number];

export const LOCALE_KEY = 'lymphscope.locale';

/** Each language's name in itself, for the switch. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', zh: '简体中文' };

export function isLocale(v: unknown): v is Locale {
  return typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
}

/** Maps a BCP 47 tag to a supported locale (any Chinese tag → Simplified Chinese). */
export function localeFromTag(tag: string): Locale | null {
  const t = tag.toLowerCase();
  if (t === 'zh' || t.startsWith('zh-')) return 'zh';
  if (t === 'en' || t.startsWith('en-')) return 'en';
  return null;
}

export function pickLocale(stored: string | null, languages: readonly string[]): Locale {
  if (isLocale(stored)) return stored;
  for (const l of languages) {
    const m = localeFromTag(l);
    if (m) return m;
  }
  return 'en';
}

/** Value for `<html lang>`. */
export function htmlLang(l: Locale): string {
  return l === 'zh' ? 'zh-CN' : 'en';
}
