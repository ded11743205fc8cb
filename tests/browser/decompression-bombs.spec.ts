/**
 * Decompression bombs in the real browser: small files declaring huge images are refused with a
 * clear message before the imaging worker decodes anything, and the slot stays usable.
 */
import { expect, test } from '@playwright/test';
import { jpegFile, pngFile } from '../fixtures/image-headers';
import { modalityImage, openApp, upload } from './helpers';

/** JPEG headers declaring w×h, with one junk byte before the frame header (the old parser stopped there). */
function junkJpeg(w: number, h: number): Buffer {
  // ~2 MB of scan data, like the reported file: the size on disk says nothing about the size decoded.
  return Buffer.from(jpegFile(w, h, { junkAfterApp0: [0x00], scan: new Uint8Array(2_000_000).fill(0x55) }));
}

const pngHeader = (w: number, h: number): Buffer => Buffer.from(pngFile(w, h));

test('a 23000×23000 JPEG behind a junk byte and a 20000×20000 PNG are refused before decoding', async ({ page }) => {
  await openApp(page, { backend: 'none' });
  for (const [name, bytes, mime] of [
    ['bomb.jpg', junkJpeg(23000, 23000), 'image/jpeg'],
    ['bomb.png', pngHeader(20000, 20000), 'image/png'],
  ] as const) {
    const t = Date.now();
    await upload(page, 'bmode', name, bytes, mime);
    await expect(page.getByTestId('slot-bmode').getByTestId('error')).toContainText(`"${name}" is too large to decode safely`);
    console.log(`${name} (${(bytes.length / 1e6).toFixed(2)} MB on disk): refused in ${Date.now() - t} ms`);
  }
  // The slot still takes a normal image afterwards.
  await upload(page, 'bmode', 'ok.png', modalityImage('bmode'));
  await expect(page.getByTestId('slot-bmode').getByTestId('roi-canvas')).toBeVisible();
});
