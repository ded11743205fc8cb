/**
 * Input checks in the session (docs/input-checks.md), over the real runtime with the fixture pack
 * (which has no learned checks: the pixel rules still run, the verdict says "not learned").
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecodedImage } from '../../../../src/imaging';
import { decoded, startApp, until } from './harness';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const region = { x: 8, y: 6, width: 64, height: 48 };
function blank(): DecodedImage {
  const pixels = { width: 96, height: 72, data: new Uint8ClampedArray(96 * 72 * 4).fill(0) };
  return { pixels, sourceWidth: 96, sourceHeight: 72, downscaled: false, kind: 'png' };
}

describe('session: input checks', () => {
  it('checks each loaded image; a pack without learned checks says so', async () => {
    const { app } = await startApp();
    const slot = app.session.slots.bmode;
    slot.loadPixels(decoded(1), 'b.png', region);
    await until(() => slot.outcome !== null, 'the check');
    expect(slot.outcome).toEqual({ verdict: 'ok', learned: false });
    // A new region is a new check.
    slot.setRoi({ ...region, x: 10 });
    expect(slot.outcome).toBeNull();
    await until(() => slot.outcome !== null, 'the second check');
  });

  it('keeps a low-quality image out of the analysis until the user overrides, and records the override', async () => {
    const { app } = await startApp();
    const s = app.session;
    s.slots.bmode.loadPixels(blank(), 'black.png', region);
    s.slots.cdfi.loadPixels(decoded(2), 'c.png', region);
    await s.analyze();
    expect(Object.keys(s.results)).toEqual(['cdfi']);
    // No learned check and a clean region: the colour-share heuristic's note stands.
    expect(s.results.cdfi!.origin.inputCheck).toMatchObject({ overridden: false, method: 'colour-share' });
    expect(s.slots.bmode.outcome).toMatchObject({ verdict: 'low-quality', quality: 'blank' });
    expect(s.isBlocked('bmode')).toBe(true);

    s.override('bmode');
    expect(s.isBlocked('bmode')).toBe(false);
    await s.analyze();
    const note = { verdict: 'low-quality', overridden: true, method: 'pixel rules' };
    expect(s.results.bmode!.origin.inputCheck).toEqual(note);
    expect(await s.save({ label: 'overridden' })).toBe(true);
    const record = (await app.history.get(s.savedCaseId!))!;
    expect(record.provenance!.images.bmode!.inputCheck).toEqual(note);
    expect(record.provenance!.images.cdfi!.inputCheck?.overridden).toBe(false);

    // Reopened, the result still carries it; a new region needs a new override.
    expect(await s.reopen(record.id)).toBe(true);
    expect(s.results.bmode!.origin.inputCheck?.overridden).toBe(true);
  });

  it('an override holds for the image and region it was given for only', async () => {
    const { app } = await startApp();
    const s = app.session;
    s.slots.bmode.loadPixels(blank(), 'black.png', region);
    await until(() => s.slots.bmode.outcome !== null, 'the check');
    s.override('bmode');
    s.slots.bmode.setRoi({ ...region, y: 10 });
    await until(() => s.slots.bmode.outcome !== null, 'the new check');
    expect(s.isBlocked('bmode')).toBe(true);
  });

  it('moves an image to the slot it belongs to', async () => {
    const { app } = await startApp();
    const s = app.session;
    s.slots.cdfi.loadPixels(decoded(3), 'b.png', region);
    s.moveImage('cdfi', 'bmode');
    expect(s.slots.cdfi.image).toBeNull();
    expect(s.slots.bmode.fileName).toBe('b.png');
    expect(s.slots.bmode.image?.pixels.width).toBe(96);
    await until(() => s.slots.bmode.outcome !== null, 'the check in the new slot');
  });
});
