/**
 * Decompression bombs in the real browser: small files declaring huge images are refused with a
 * clear message before the imaging worker decodes anything, and the slot stays usable.
 */
import { expect, test } from '@playwright/test';
import { modalityImage, openApp, upload } from './helpers';

const be16 = (n: number) => [(n >> 8) & 255, n & 255];
const be32 = (n: number) => [(n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];

/** JPEG headers declaring w×h, with one junk byte before the frame header (the old parser stopped there). */
function junkJpeg(w: number, h: number): Buffer {
  const app0 = [0xff, 0xe0, ...be16(16), 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof = [0xff, 0xc0, ...be16(17), 8, ...be16(h), ...be16(w), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  const sos = [0xff, 0xda, ...be16(12), 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0];
  // ~2 MB of scan data, like the reported file: the size on disk says nothing about the size decoded.
  return Buffer.concat([
    Buffer.from([0xff, 0xd8, ...app0, 0x00, ...sof, ...sos]),
    Buffer.alloc(2_000_000, 0x55),
    Buffer.from([0xff, 0xd9]),
  ]);
}

function pngHeader(w: number, h: number): Buffer {
  const chunk = (type: string, data: number[]) => [...be32(data.length), ...Buffer.from(type), ...data, 0, 0, 0, 0];
  return Buffer.from([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk('IHDR', [...be32(w), ...be32(h), 8, 2, 0, 0, 0]),
    ...chunk('IDAT', [0x78, 0x9c, 3, 0, 0, 0, 0, 1]),
    ...chunk('IEND', []),
  ]);
}

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
