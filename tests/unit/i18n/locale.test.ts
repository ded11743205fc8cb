import { describe, expect, it } from 'vitest';
import { htmlLang, localeFromTag, pickLocale } from '../../../src/i18n/locale';

describe('choosing the language', () => {
  it('remembers the user’s choice first', () => {
    expect(pickLocale('zh', ['en-GB'])).toBe('zh');
    expect(pickLocale('en', ['zh-CN'])).toBe('en');
  });
  it('defaults to the browser’s first supported language', () => {
    expect(pickLocale(null, ['zh-CN', 'en'])).toBe('zh');
    expect(pickLocale(null, ['fr-FR', 'zh-Hans-CN'])).toBe('zh');
    expect(pickLocale(null, ['de-DE', 'en-US'])).toBe('en');
    expect(pickLocale('xx', ['ja-JP'])).toBe('en');
    expect(localeFromTag('ZH-TW')).toBe('zh');
  });
  it('sets the html lang attribute value', () => {
    expect(htmlLang('zh')).toBe('zh-CN');
    expect(htmlLang('en')).toBe('en');
  });
});
