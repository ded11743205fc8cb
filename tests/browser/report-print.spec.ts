/**
 * The printed report, read back from the PDF Chromium prints: one summary page plus one page per
 * node, in English and Chinese, on A4 and Letter, with every word inside the printable area and
 * no two words on top of each other (word boxes from poppler's `pdftotext -bbox`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { analyze, openApp, uploadAll } from './helpers';

interface Word {
  text: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
interface PdfPage {
  width: number;
  height: number;
  words: Word[];
}

/** Word boxes of every page (points), as poppler lays the PDF's text out. */
function pdfWords(pdf: Buffer): PdfPage[] {
  const dir = mkdtempSync(join(tmpdir(), 'lymphscope-print-'));
  const file = join(dir, 'report.pdf');
  writeFileSync(file, pdf);
  const html = execFileSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8' });
  const pages: PdfPage[] = [];
  for (const m of html.matchAll(/<page width="([\d.]+)" height="([\d.]+)">([\s\S]*?)<\/page>/g)) {
    const words = [
      ...m[3]!.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g),
    ].map((w) => ({ x0: Number(w[1]), y0: Number(w[2]), x1: Number(w[3]), y1: Number(w[4]), text: w[5]! }));
    pages.push({ width: Number(m[1]), height: Number(m[2]), words });
  }
  return pages;
}

const MM = 72 / 25.4;

/**
 * The middle band of a word's box. poppler sizes the boxes of Type 3 fonts (how Chromium embeds
 * the Chinese font) from the font's bounding box, about 2.6 × the font size, so full boxes of
 * neighbouring lines overlap although the glyphs do not; the middle 40 % stays within the glyphs
 * for either kind of font, and text printed on top of text still overlaps there.
 */
function core(w: Word): Word {
  const h = w.y1 - w.y0;
  return { ...w, y0: w.y0 + 0.3 * h, y1: w.y1 - 0.3 * h };
}

/** Words outside the printable area (12 mm margins, 1 mm tolerance) and pairs of words that overlap. */
function layoutProblems(pages: PdfPage[]): string[] {
  const out: string[] = [];
  pages.forEach((page, i) => {
    const p = { ...page, words: page.words.map(core) };
    const m = 11 * MM;
    for (const w of p.words)
      if (w.x0 < m || w.y0 < m || w.x1 > p.width - m || w.y1 > p.height - m)
        out.push(`page ${i + 1}: "${w.text}" outside the margins`);
    for (let a = 0; a < p.words.length; a++)
      for (let b = a + 1; b < p.words.length; b++) {
        const u = p.words[a]!,
          v = p.words[b]!;
        const ix = Math.min(u.x1, v.x1) - Math.max(u.x0, v.x0);
        const iy = Math.min(u.y1, v.y1) - Math.max(u.y0, v.y0);
        if (ix <= 0 || iy <= 0) continue;
        // Touching glyph boxes of one line overlap by a hair; text on top of text overlaps by a lot.
        const smaller = Math.min((u.x1 - u.x0) * (u.y1 - u.y0), (v.x1 - v.x0) * (v.y1 - v.y0));
        if ((ix * iy) / smaller > 0.25) out.push(`page ${i + 1}: "${u.text}" overlaps "${v.text}"`);
      }
  });
  return out;
}

/** Fills every descriptor with its longest reading: the fullest node page there can be. */
async function fillDescriptors(page: Page): Promise<void> {
  const select = async (name: string, value: string) => page.getByTestId(`descriptor-${name}`).selectOption(value);
  await select('level', 'II');
  await select('side', 'left');
  await page.getByTestId('descriptor-longAxisMm').fill('18.5');
  await page.getByTestId('descriptor-shortAxisMm').fill('11.2');
  await select('hilum', 'absent');
  await select('cortex', 'eccentric');
  await select('margins', 'unsharp');
  await select('necrosis', 'cystic');
  await select('calcification', 'punctate');
  await select('matting', 'present');
  await select('oedema', 'present');
  await select('vascularPattern', 'peripheral');
  await select('vascularGrade', '3');
  await select('elastoScore', '4');
  await page.getByTestId('descriptor-strainRatio').fill('3.25');
  await page.getByTestId('descriptor-impression').fill('Round, hilum absent, peripheral flow: suspicious for metastasis.');
  await expect(page.getByTestId('descriptor-ratio')).toHaveText('0.61');
}

test('printed report: a summary page and one page per node, nothing clipped or overlapping, in English and Chinese, A4 and Letter', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await openApp(page);
  await page.getByTestId('exam-accession').fill('RIS-2026-0042');
  await page.getByTestId('exam-reporter').fill('Dr. A. Reporter');
  await page.getByTestId('exam-patient').fill('PAT-7');
  await page.getByTestId('exam-indication').fill('Known papillary thyroid carcinoma; staging of the left neck.');
  await uploadAll(page);
  await analyze(page);
  await fillDescriptors(page);
  await page.getByTestId('open-report').click();

  // Unapproved: the report says draft on every page; approving needs a conclusion.
  await expect(page.getByTestId('report-status').first()).toHaveText(/draft/i);
  await expect(page.getByTestId('report-approve')).toBeDisabled();
  await page.getByTestId('report-conclusion').fill('Suspicious left level II node; fine-needle aspiration advised.');
  await page.getByTestId('report-approve').click();
  await expect(page.getByTestId('report-approved')).toBeVisible();
  await expect(page.getByTestId('report-status')).toHaveText(['approved', 'approved']);
  await expect(page.getByTestId('report-conclusion-text')).toHaveText(/fine-needle aspiration/);

  for (const locale of ['en', 'zh'] as const) {
    await page.getByTestId('language').selectOption(locale);
    for (const paper of ['a4', 'letter'] as const) {
      await page.getByTestId('report-paper').selectOption(paper);
      await page.emulateMedia({ media: 'print' });
      // In the browser: no page's content runs past its box.
      const overflow = await page
        .locator('.report-root .page')
        .evaluateAll((els) =>
          els
            .filter((e) => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
            .map((e) => e.getAttribute('data-page')),
        );
      expect(overflow, `${locale} ${paper}: pages whose content overflows`).toEqual([]);
      const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
      await page.emulateMedia({ media: 'screen' });
      const pages = pdfWords(pdf);
      expect(pages, `${locale} ${paper}: summary page + one node page`).toHaveLength(2);
      const size = paper === 'a4' ? [210, 297] : [215.9, 279.4];
      expect(pages[0]!.width / MM).toBeCloseTo(size[0]!, 0);
      expect(pages[0]!.height / MM).toBeCloseTo(size[1]!, 0);
      expect(layoutProblems(pages), `${locale} ${paper}`).toEqual([]);
      const text = pages.map((p) => p.words.map((w) => w.text).join(' '));
      expect(text[0]).toContain('RIS-2026-0042');
      expect(text[1]).toContain('RIS-2026-0042');
      expect(text[0]).toMatch(/1\s*\/\s*2/);
      expect(text[1]).toMatch(/2\s*\/\s*2/);
      if (locale === 'en') {
        expect(text[0]).toContain('Cervical');
        expect(text[1]).toContain('metastasis');
        // The legend's two labels stay separate words, never "LowHigh" run together.
        expect(pages[1]!.words.filter((w) => /HighLow|LowHigh/.test(w.text))).toEqual([]);
        expect(pages[1]!.words.filter((w) => w.text === 'High')).toHaveLength(3);
      } else {
        // Chinese throughout: title, findings, demonstration warning and model card headings.
        expect(text[0]!.replace(/\s/g, '')).toContain('颈部淋巴结超声报告');
        expect(text[0]!.replace(/\s/g, '')).toContain('模型说明');
        expect(text[1]!.replace(/\s/g, '')).toContain('医师所见');
        expect(pages[1]!.words.filter((w) => /低高|高低/.test(w.text))).toEqual([]);
      }
    }
  }
  await page.getByTestId('language').selectOption('en');
});
