/**
 * The ROI contract, the node finder's proposal, click-to-outline, calipers, the ruler scale and
 * DICOM pixel spacing, in real Chromium on simulated scanner frames (src/phantoms): every check
 * compares with what the simulator knows (picture area, node mask and its axes).
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { PNG } from 'pngjs';
import { axesFromOutline, traceBoundary } from '../../src/imaging';
import { BMODE_FIELD_ORIGIN, FIELD_HEIGHT, FIELD_WIDTH, generateCase, type PhantomCase } from '../../src/phantoms';
import { grayDicomFile, type DicomElement } from '../../scripts/make-dicom-fixtures';
import { openApp, upload } from './helpers';

const FIELD = { x: BMODE_FIELD_ORIGIN.x, y: BMODE_FIELD_ORIGIN.y, width: FIELD_WIDTH, height: FIELD_HEIGHT };

function nodeOf(c: PhantomCase, dx = 0, dy = 0) {
  const m = c.masks.node;
  let sx = 0,
    sy = 0,
    n = 0,
    x0 = Infinity,
    y0 = Infinity,
    x1 = 0,
    y1 = 0;
  for (let i = 0; i < m.length; i++) {
    if (!m[i]) continue;
    const x = i % c.maskWidth,
      y = Math.floor(i / c.maskWidth);
    sx += x;
    sy += y;
    n++;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  const axes = axesFromOutline(traceBoundary(c.maskWidth, c.maskHeight, m).map(([x, y]) => [x + 0.5, y + 0.5] as const))!;
  return {
    centre: { x: sx / n - dx, y: sy / n - dy },
    box: { x0: x0 - dx, y0: y0 - dy, x1: x1 - dx, y1: y1 - dy },
    longPx: axes.longPx,
    shortPx: axes.shortPx,
  };
}

function png(c: PhantomCase): Buffer {
  const p = new PNG({ width: c.images.bmode.width, height: c.images.bmode.height });
  p.data.set(c.images.bmode.data);
  return PNG.sync.write(p);
}

/** Where the canvas lies once it is in view and has stopped moving (smooth scrolling, messages appearing). */
async function settledBox(canvas: Locator) {
  // Centred in the viewport: the app's sticky bar must not cover the canvas's top rows.
  await canvas.evaluate((el) => el.scrollIntoView({ block: 'center', behavior: 'instant' }));
  let b = (await canvas.boundingBox())!;
  for (let i = 0; i < 20; i++) {
    await canvas.page().waitForTimeout(50);
    const n = (await canvas.boundingBox())!;
    if (n.x === b.x && n.y === b.y && n.width === b.width) return n;
    b = n;
  }
  return b;
}

/** Clicks the ROI canvas at image pixel (x, y). */
async function clickImage(canvas: Locator, size: { width: number; height: number }, x: number, y: number): Promise<void> {
  const b = await settledBox(canvas);
  await canvas.page().mouse.click(b.x + ((x + 0.5) / size.width) * b.width, b.y + ((y + 0.5) / size.height) * b.height);
}

async function dragImage(canvas: Locator, size: { width: number; height: number }, from: [number, number], to: [number, number]) {
  const b = await settledBox(canvas);
  const at = (p: [number, number]) => [b.x + (p[0] / size.width) * b.width, b.y + (p[1] / size.height) * b.height] as const;
  const page = canvas.page();
  await page.mouse.move(...at(from));
  await page.mouse.down();
  await page.mouse.move(...at([(from[0] + to[0]) / 2, (from[1] + to[1]) / 2]));
  await page.mouse.move(...at(to));
  await page.mouse.up();
}

const nums = async (l: Locator, attr: string) => (await l.getAttribute(attr))!.split(',').map(Number);
const num = async (l: Locator, attr: string) => Number(await l.getAttribute(attr));

/**
 * No pack at all: an index address that obeys the pack address rule but does not exist (an address
 * outside a `models` folder would fall back to the bundled pack, whose node finder would then move
 * the region at a time that depends on how fast it loads).
 */
async function open(page: Page) {
  await openApp(page, { backend: 'none', models: '/__fixtures__/models/no-pack.json' });
}

test('ROI contract, click-to-outline, keyboard outline, calipers and bad clicks', async ({ page }) => {
  await open(page);
  const c = generateCase({ seed: 1305, cls: 'metastatic' });
  const node = nodeOf(c);
  const size = { width: 640, height: 480 };
  await upload(page, 'bmode', 'scanner.png', png(c));
  const slot = page.getByTestId('slot-bmode');
  const roi = page.getByTestId('roi-bmode');
  await expect(roi).toHaveAttribute('data-image-size', '640,480');
  await expect(roi).toHaveAttribute('data-roi-source', 'image-area');
  const [x, y, w, h] = await nums(roi, 'data-roi');
  const tol = 0.03 * FIELD.width;
  expect(Math.abs(x! - FIELD.x)).toBeLessThanOrEqual(tol);
  expect(Math.abs(y! - FIELD.y)).toBeLessThanOrEqual(tol);
  expect(Math.abs(x! + w! - FIELD.x - FIELD.width)).toBeLessThanOrEqual(tol);
  expect(Math.abs(y! + h! - FIELD.y - FIELD.height)).toBeLessThanOrEqual(tol);
  await expect(slot.getByTestId('roi-source-note-bmode')).toContainText('image area');

  // A region dragged to nothing is refused and the region stays.
  const before = await roi.getAttribute('data-roi');
  const canvas = slot.getByTestId('roi-canvas');
  await dragImage(canvas, size, [40, 300], [43, 302]);
  await expect(slot.getByTestId('node-problem-bmode')).toHaveAttribute('data-problem', 'roi-too-small');
  await expect(roi).toHaveAttribute('data-roi', before!);

  // Click inside the node: an outline, axes within 10 % of the mask's, the crop follows the node.
  await slot.getByTestId('outline-mode-bmode').click();
  await clickImage(canvas, size, node.centre.x, node.centre.y);
  const axes = page.getByTestId('axes-bmode');
  await expect(axes).toBeVisible({ timeout: 10_000 });
  expect(Math.abs((await num(axes, 'data-long-px')) - node.longPx)).toBeLessThanOrEqual(0.1 * node.longPx);
  expect(Math.abs((await num(axes, 'data-short-px')) - node.shortPx)).toBeLessThanOrEqual(0.1 * node.shortPx);
  await expect(axes).not.toHaveAttribute('data-long-mm', /./);
  // No pack loaded, so none declares node crops: the region stays the image area (which holds the node).
  await expect(roi).toHaveAttribute('data-roi-source', 'image-area');
  const [nx, ny, nw, nh] = await nums(roi, 'data-roi');
  expect(nx).toBeLessThanOrEqual(node.box.x0);
  expect(ny).toBeLessThanOrEqual(node.box.y0);
  expect(nx! + nw!).toBeGreaterThanOrEqual(node.box.x1);
  expect(ny! + nh!).toBeGreaterThanOrEqual(node.box.y1);
  await expect(slot.getByTestId('scale-source-bmode')).toHaveAttribute('data-scale-source', 'none');

  // A click in the chrome: a clear message, the outline and axes stay.
  const longBefore = await axes.getAttribute('data-long-px');
  await clickImage(canvas, size, 30, 300);
  await expect(slot.getByTestId('node-problem-bmode')).toHaveAttribute('data-problem', 'outside-image');
  await expect(axes).toHaveAttribute('data-long-px', longBefore!);

  // Drag the long caliper's end 30 px further along its axis: the long axis grows by about that.
  const [ax, ay, bx, by] = await nums(axes, 'data-long-line');
  const len = Math.hypot(bx! - ax!, by! - ay!);
  const ux = (bx! - ax!) / len,
    uy = (by! - ay!) / len;
  await dragImage(canvas, size, [bx!, by!], [bx! + 30 * ux, by! + 30 * uy]);
  await expect(axes).toContainText('calipers set by you');
  expect(Math.abs((await num(axes, 'data-long-px')) - (len + 30))).toBeLessThanOrEqual(4);

  // Keyboard: arrows move the cross from the region's centre onto the node, Enter outlines.
  await upload(page, 'bmode', 'scanner-again.png', png(c));
  await expect(page.getByTestId('axes-bmode')).toHaveCount(0);
  await expect(roi).toHaveAttribute('data-roi-source', 'image-area');
  const [kx, ky, kw, kh] = await nums(roi, 'data-roi');
  const step = Math.round(640 / 100);
  await canvas.focus();
  const cx = Math.round(kx! + kw! / 2),
    cy = Math.round(ky! + kh! / 2);
  const dx = Math.round((node.centre.x - cx) / step),
    dy = Math.round((node.centre.y - cy) / step);
  for (let i = 0; i < Math.abs(dx); i++) await page.keyboard.press(dx > 0 ? 'ArrowRight' : 'ArrowLeft');
  for (let i = 0; i < Math.abs(dy); i++) await page.keyboard.press(dy > 0 ? 'ArrowDown' : 'ArrowUp');
  await page.keyboard.press('Enter');
  await expect(axes).toBeVisible({ timeout: 10_000 });
  expect(Math.abs((await num(axes, 'data-long-px')) - node.longPx)).toBeLessThanOrEqual(0.1 * node.longPx);

  // The source note is translated.
  await page.getByTestId('language').selectOption('zh');
  await expect(slot.getByTestId('roi-source-note-bmode')).toContainText('图像区域');
});

test('the bundled pack’s node finder proposes a node region on a scanner frame, and says when it is unsure', async ({ page }) => {
  test.setTimeout(240_000);
  await openApp(page, { backend: 'wasm', models: 'models/index.json' });
  const c = generateCase({ seed: 4, cls: 'metastatic' });
  const node = nodeOf(c);
  await upload(page, 'bmode', 'scanner.png', png(c));
  const slot = page.getByTestId('slot-bmode');
  const roi = page.getByTestId('roi-bmode');
  await expect(roi).toHaveAttribute('data-roi-source', 'node', { timeout: 30_000 });
  const [x, y, w, h] = await nums(roi, 'data-roi');
  expect(x).toBeLessThanOrEqual(node.box.x0);
  expect(y).toBeLessThanOrEqual(node.box.y0);
  expect(x! + w!).toBeGreaterThanOrEqual(node.box.x1 + 1);
  expect(y! + h!).toBeGreaterThanOrEqual(node.box.y1 + 1);
  // Around the node, not the picture: at most ~4× the node's box (the target).
  const nodeArea = (node.box.x1 + 1 - node.box.x0) * (node.box.y1 + 1 - node.box.y0);
  expect(w! * h!).toBeLessThanOrEqual(4 * nodeArea);
  await expect(slot.getByTestId('roi-source-note-bmode')).toContainText('node');
  await expect(slot.getByTestId('node-proposal-bmode')).toHaveCount(0);
  // The proposal's outline gives the axes before any click.
  const proposed = page.getByTestId('axes-bmode');
  await expect(proposed).toBeVisible();
  expect(Math.abs((await num(proposed, 'data-long-px')) - node.longPx)).toBeLessThanOrEqual(0.25 * node.longPx);
  await expect(slot.getByText('proposed by the node finder')).toBeVisible();
  await page.getByTestId('language').selectOption('zh');
  await expect(slot.getByTestId('roi-source-note-bmode')).toContainText('淋巴结轮廓');
  await page.getByTestId('language').selectOption('en');

  // Click-to-outline asks the finder: an outline and axes, the region still around the node.
  const canvas = slot.getByTestId('roi-canvas');
  await slot.getByTestId('outline-mode-bmode').click();
  await clickImage(canvas, { width: 640, height: 480 }, node.centre.x, node.centre.y);
  const axes = page.getByTestId('axes-bmode');
  await expect(axes).toBeVisible({ timeout: 10_000 });
  expect(Math.abs((await num(axes, 'data-long-px')) - node.longPx)).toBeLessThanOrEqual(0.2 * node.longPx);
  await expect(roi).toHaveAttribute('data-roi-source', 'node');

  // A frame with nothing node-like: the finder is unsure, the region stays and the UI says which.
  const flat = new PNG({ width: 320, height: 240 });
  for (let i = 0; i < flat.data.length; i += 4) flat.data.set([96, 96, 96, 255], i);
  await upload(page, 'bmode', 'flat.png', PNG.sync.write(flat));
  await expect(slot.getByTestId('node-proposal-bmode')).toHaveAttribute('data-state', 'unsure', { timeout: 30_000 });
  await expect(roi).toHaveAttribute('data-roi-source', /^(image-area|whole)$/);
  await expect(slot.getByTestId('node-proposal-bmode')).toContainText(/image area|whole image/);
});

test('scale by two clicks on the depth ruler: mm axes, bad distances refused, remembered per layout', async ({ page }) => {
  await open(page);
  const c = generateCase({ seed: 1305, cls: 'metastatic' });
  const node = nodeOf(c);
  const size = { width: 640, height: 480 };
  await upload(page, 'bmode', 'scanner.png', png(c));
  const slot = page.getByTestId('slot-bmode');
  const canvas = slot.getByTestId('roi-canvas');
  await slot.getByTestId('outline-mode-bmode').click();
  await clickImage(canvas, size, node.centre.x, node.centre.y);
  const axes = page.getByTestId('axes-bmode');
  await expect(axes).toBeVisible({ timeout: 10_000 });

  // The simulator's ruler: major ticks every 10 mm (100 px) at x = field right + 4.
  const rx = FIELD.x + FIELD.width + 5;
  const setScale = async (mm: string) => {
    await slot.getByTestId('scale-mode-bmode').click();
    await clickImage(canvas, size, rx, FIELD.y);
    await expect(slot.getByTestId('scale-step-bmode')).toContainText('second');
    await clickImage(canvas, size, rx, FIELD.y + 200);
    await slot.getByTestId('scale-mm-bmode').fill(mm);
    await slot.getByTestId('scale-apply-bmode').click();
  };
  await setScale('20');
  await expect(axes).toHaveAttribute('data-long-mm', /./);
  const longPx = await num(axes, 'data-long-px');
  expect(Math.abs((await num(axes, 'data-long-mm')) - longPx * 0.1)).toBeLessThanOrEqual(0.02 * longPx * 0.1);
  await expect(slot.getByTestId('scale-source-bmode')).toHaveAttribute('data-scale-source', 'user');
  const mmBefore = await axes.getAttribute('data-long-mm');

  // Zero and absurd distances: a clear message, the scale stays.
  await setScale('0');
  await expect(slot.getByTestId('node-problem-bmode')).toHaveAttribute('data-problem', 'scale-zero');
  await expect(axes).toHaveAttribute('data-long-mm', mmBefore!);
  await slot.getByTestId('scale-mm-bmode').fill('90000');
  await slot.getByTestId('scale-apply-bmode').click();
  await expect(slot.getByTestId('node-problem-bmode')).toHaveAttribute('data-problem', 'scale-absurd');
  await expect(axes).toHaveAttribute('data-long-mm', mmBefore!);

  // Another frame of the same scanner layout: the calibration applies again.
  await upload(page, 'bmode', 'next-frame.png', png(generateCase({ seed: 1306, cls: 'benign' })));
  await expect(slot.getByTestId('scale-source-bmode')).toHaveAttribute('data-scale-source', 'user');
});

test('DICOM Pixel Spacing gives mm axes; ultrasound regions that disagree give a message, no mm', async ({ page }) => {
  await open(page);
  const c = generateCase({ seed: 1305, cls: 'metastatic' });
  // The picture only (no chrome), as a DICOM frame: 400 × 360 at 0.1 mm per pixel.
  const gray = new Uint8Array(FIELD.width * FIELD.height);
  for (let y = 0; y < FIELD.height; y++)
    for (let x = 0; x < FIELD.width; x++)
      gray[y * FIELD.width + x] = c.images.bmode.data[((y + FIELD.y) * 640 + x + FIELD.x) * 4]!;
  const node = nodeOf(c, FIELD.x, FIELD.y);
  const size = { width: FIELD.width, height: FIELD.height };
  const spacing: DicomElement = { tag: [0x28, 0x30], vr: 'DS', value: '0.1\\0.1' };
  await upload(
    page,
    'bmode',
    'frame.dcm',
    Buffer.from(grayDicomFile(FIELD.width, FIELD.height, gray, [spacing])),
    'application/dicom',
  );
  const slot = page.getByTestId('slot-bmode');
  await expect(page.getByTestId('roi-bmode')).toHaveAttribute('data-image-size', `${FIELD.width},${FIELD.height}`);
  await expect(page.getByTestId('roi-bmode')).toHaveAttribute('data-roi-source', 'whole');
  const canvas = slot.getByTestId('roi-canvas');
  await slot.getByTestId('outline-mode-bmode').click();
  await clickImage(canvas, size, node.centre.x, node.centre.y);
  const axes = page.getByTestId('axes-bmode');
  await expect(axes).toHaveAttribute('data-long-mm', /./, { timeout: 10_000 });
  expect(Math.abs((await num(axes, 'data-long-mm')) - node.longPx * 0.1)).toBeLessThanOrEqual(0.1 * node.longPx * 0.1);
  expect(Math.abs((await num(axes, 'data-short-mm')) - (await num(axes, 'data-short-px')) * 0.1)).toBeLessThan(0.01);
  await expect(slot.getByTestId('scale-source-bmode')).toHaveAttribute('data-scale-source', 'dicom-pixel-spacing');

  // Two overlapping ultrasound regions with different scales over the node.
  const region = (x1: number, delta: number) => [
    { tag: [0x18, 0x6018], vr: 'UL', value: { ul: [0] } },
    { tag: [0x18, 0x601a], vr: 'UL', value: { ul: [0] } },
    { tag: [0x18, 0x601c], vr: 'UL', value: { ul: [x1] } },
    { tag: [0x18, 0x601e], vr: 'UL', value: { ul: [FIELD.height - 1] } },
    { tag: [0x18, 0x6024], vr: 'US', value: [3] },
    { tag: [0x18, 0x6026], vr: 'US', value: [3] },
    { tag: [0x18, 0x602c], vr: 'FD', value: { fd: [delta] } },
    { tag: [0x18, 0x602e], vr: 'FD', value: { fd: [delta] } },
  ];
  const regions = {
    tag: [0x18, 0x6011],
    vr: 'SQ',
    value: [region(FIELD.width - 1, 0.01), region(FIELD.width - 1, 0.02)],
  } as DicomElement;
  await upload(
    page,
    'bmode',
    'regions.dcm',
    Buffer.from(grayDicomFile(FIELD.width, FIELD.height, gray, [regions])),
    'application/dicom',
  );
  await expect(page.getByTestId('axes-bmode')).toHaveCount(0);
  // Still in outline mode from before: a click outlines.
  await expect(slot.getByTestId('outline-mode-bmode')).toHaveAttribute('aria-pressed', 'true');
  await clickImage(canvas, size, node.centre.x, node.centre.y);
  await expect(axes).toBeVisible({ timeout: 10_000 });
  await expect(axes).not.toHaveAttribute('data-long-mm', /./);
  await expect(slot.getByTestId('node-problem-bmode')).toHaveAttribute('data-problem', 'regions-disagree');
});
