/**
 * A slot shows the file the user chose last, whatever order the decodes finish in. The decoder is
 * passed in so each decode can be finished by hand (in the page it runs in the imaging worker).
 */
import { describe, expect, it } from 'vitest';
import { ImageInputError, type DecodedImage } from '../../../../src/imaging';
import { SlotState, type Decoder } from '../../../../src/ui/state/slot.svelte';

function image(width: number, kind = 'png'): DecodedImage {
  return {
    pixels: { width, height: 32, data: new Uint8ClampedArray(width * 32 * 4).fill(90) },
    sourceWidth: width,
    sourceHeight: 32,
    downscaled: false,
    kind,
  };
}

/** A decoder whose every call waits until the test settles it. */
function manualDecoder() {
  const calls: { name: string; resolve(d: DecodedImage): void; reject(e: unknown): void }[] = [];
  const decode: Decoder = (_file, name) => new Promise<DecodedImage>((resolve, reject) => calls.push({ name, resolve, reject }));
  const call = (name: string) => {
    const c = calls.find((x) => x.name === name);
    if (!c) throw new Error(`no decode of ${name}`);
    return c;
  };
  return { decode, call };
}

const file = () => new Blob([new Uint8Array(8)]);

describe('slot: the latest choice wins', () => {
  it('keeps the second file when the first one finishes decoding after it', async () => {
    const d = manualDecoder();
    const slot = new SlotState('bmode', d.decode);
    const slow = slot.load(file(), 'slow.png');
    const fast = slot.load(file(), 'fast.png');
    d.call('fast.png').resolve(image(64));
    await fast;
    expect(slot.fileName).toBe('fast.png');
    const revision = slot.revision;
    d.call('slow.png').resolve(image(48));
    await slow;
    expect(slot.fileName).toBe('fast.png');
    expect(slot.image?.pixels.width).toBe(64);
    expect(slot.revision).toBe(revision);
    expect(slot.loading).toBe(false);
  });

  it('shows no error for a superseded file that fails, and stays loading while the latest decodes', async () => {
    const d = manualDecoder();
    const slot = new SlotState('cdfi', d.decode);
    const bad = slot.load(file(), 'bad.png');
    const good = slot.load(file(), 'good.png');
    d.call('bad.png').reject(new ImageInputError('decode-failed', 'bad.png'));
    await bad;
    expect(slot.error).toBeNull();
    expect(slot.loading).toBe(true);
    d.call('good.png').resolve(image(40));
    await good;
    expect(slot.fileName).toBe('good.png');
    expect(slot.loading).toBe(false);
  });

  it('still reports a refused file that is the latest choice, keeping the image it had', async () => {
    const d = manualDecoder();
    const slot = new SlotState('bmode', d.decode);
    const first = slot.load(file(), 'a.png');
    d.call('a.png').resolve(image(50));
    await first;
    const second = slot.load(file(), 'b.png');
    d.call('b.png').reject(new ImageInputError('unsupported', 'b.png'));
    await second;
    expect(slot.error).toMatchObject({ code: 'unsupported', fileName: 'b.png' });
    expect(slot.fileName).toBe('a.png');
  });

  it('does not bring back a file decoded after the slot was cleared or given other pixels', async () => {
    const d = manualDecoder();
    const slot = new SlotState('elastography', d.decode);
    const late = slot.load(file(), 'late.png');
    slot.clear();
    d.call('late.png').resolve(image(30));
    await late;
    expect(slot.image).toBeNull();

    const late2 = slot.load(file(), 'late2.png');
    slot.loadPixels(image(70, 'simulated'), 'demo', { x: 0, y: 0, width: 70, height: 32 });
    d.call('late2.png').resolve(image(30));
    await late2;
    expect(slot.fileName).toBe('demo');
    expect(slot.image?.kind).toBe('simulated');
  });
});
