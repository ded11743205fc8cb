/**
 * Renders the report's printed pages into images, for the PDF inside the DICOM export (a page
 * cannot capture the browser's own print output). Each page element is cloned with the page's
 * own style sheets into an SVG foreignObject, laid out exactly as print lays it out (the paper,
 * its 12 mm margins, the page box of the chosen size), and drawn onto a canvas. Canvases in the
 * page (images, heatmaps, legends) are carried over as their pixels. Everything stays in the
 * browser: the SVG is a blob: URL, its images data: URLs, and only system fonts are used.
 */

export interface PaperMm {
  widthMm: number;
  heightMm: number;
  /** The page box inside the margins (ReportView's --page-w / --page-h). */
  boxWidthMm: number;
  boxHeightMm: number;
  marginMm: number;
}

export const PAPER_MM = {
  a4: { widthMm: 210, heightMm: 297, boxWidthMm: 186, boxHeightMm: 271, marginMm: 12 },
  letter: { widthMm: 215.9, heightMm: 279.4, boxWidthMm: 191, boxHeightMm: 253, marginMm: 12 },
} as const satisfies Record<string, PaperMm>;

const CSS_PX_PER_MM = 96 / 25.4;
const XHTML = 'http://www.w3.org/1999/xhtml';

/** The text of every style sheet of the document (the app's own, same origin, so readable). */
function documentCss(): string {
  const out: string[] = [];
  for (const sheet of Array.from(document.styleSheets)) {
    try {
      for (const rule of Array.from(sheet.cssRules)) out.push(rule.cssText);
    } catch {
      // a sheet the page may not read contributes nothing
    }
  }
  return out.join('\n');
}

/** The page cloned for rendering, its canvases replaced by images of their pixels. */
function clonePage(page: HTMLElement, paper: PaperMm): HTMLElement {
  const clone = page.cloneNode(true) as HTMLElement;
  const from = page.querySelectorAll('canvas');
  const to = clone.querySelectorAll('canvas');
  to.forEach((c, i) => {
    const src = from[i];
    if (!src) return;
    const img = document.createElementNS(XHTML, 'img') as HTMLImageElement;
    img.src = src.toDataURL('image/png');
    img.className = src.className;
    // Canvas rules of the style sheets do not match an image: it takes the size and frame the
    // canvas has on screen, which is its printed size (the screen page box is the print one).
    const box = src.getBoundingClientRect();
    const cs = getComputedStyle(src);
    img.setAttribute(
      'style',
      `display:block;width:${box.width}px;height:${box.height}px;max-width:100%;object-fit:contain;` +
        `border:${cs.border};border-radius:${cs.borderRadius};flex:${cs.flex};box-sizing:${cs.boxSizing};` +
        `grid-column:${cs.gridColumn};grid-row:${cs.gridRow};margin:${cs.margin};`,
    );
    for (const a of Array.from(src.attributes))
      if (a.name.startsWith('data-') || a.name === 'aria-label') img.setAttribute(a.name, a.value);
    c.replaceWith(img);
  });
  // The print rules of the page box, applied inline (the SVG is rendered for the screen).
  clone.style.cssText += `;width:${paper.boxWidthMm}mm;height:${paper.boxHeightMm}mm;min-height:0;margin:0;padding:0;box-shadow:none;`;
  return clone;
}

async function drawSvg(svg: string, widthPx: number, heightPx: number): Promise<Blob> {
  // A data: URL, not a blob: one: Chromium taints a canvas drawn with a foreignObject SVG from a
  // blob: URL, and a tainted canvas cannot be read back.
  const img = new Image();
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = widthPx;
  canvas.height = heightPx;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, widthPx, heightPx);
  ctx.drawImage(img, 0, 0, widthPx, heightPx);
  return new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the page could not be encoded'))), 'image/jpeg', 0.92),
  );
}

/**
 * Every page of `root` (elements `.page`) as a JPEG of the whole paper at `dpi`.
 * `context` is the element whose classes the page's CSS selectors expect around it (the report).
 */
export async function rasterizePages(
  root: HTMLElement,
  context: HTMLElement,
  paper: PaperMm,
  dpi = 150,
): Promise<{ jpeg: Uint8Array; widthPx: number; heightPx: number }[]> {
  await document.fonts.ready;
  const css = documentCss();
  const wCss = paper.widthMm * CSS_PX_PER_MM;
  const hCss = paper.heightMm * CSS_PX_PER_MM;
  const widthPx = Math.round((paper.widthMm / 25.4) * dpi);
  const heightPx = Math.round((paper.heightMm / 25.4) * dpi);
  const out: { jpeg: Uint8Array; widthPx: number; heightPx: number }[] = [];
  for (const page of Array.from(root.querySelectorAll<HTMLElement>('.page'))) {
    const sheet = document.createElementNS(XHTML, 'div') as HTMLDivElement;
    sheet.setAttribute(
      'style',
      `width:${wCss}px;height:${hCss}px;box-sizing:border-box;padding:${paper.marginMm}mm;background:#fff;overflow:hidden;`,
    );
    const style = document.createElementNS(XHTML, 'style');
    style.textContent = css;
    // The report's own element around the page, so selectors scoped to it (paper size) still match.
    const ctx = document.createElementNS(XHTML, 'section');
    ctx.className = context.className;
    for (const a of Array.from(context.attributes)) if (a.name.startsWith('data-')) ctx.setAttribute(a.name, a.value);
    ctx.setAttribute('style', 'margin:0;padding:0;border:0;background:#fff;');
    ctx.appendChild(clonePage(page, paper));
    sheet.append(style, ctx);
    const xhtml = new XMLSerializer().serializeToString(sheet);
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}" viewBox="0 0 ${wCss} ${hCss}">` +
      `<foreignObject x="0" y="0" width="${wCss}" height="${hCss}">${xhtml}</foreignObject></svg>`;
    const blob = await drawSvg(svg, widthPx, heightPx);
    out.push({ jpeg: new Uint8Array(await blob.arrayBuffer()), widthPx, heightPx });
  }
  return out;
}
