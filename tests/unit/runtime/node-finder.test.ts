/**
 * The node finder in the runtime: the bundled pack's finder (added to a copy of the fixture pack, so
 * the classifiers stay tiny) through the real request handler and client, on a simulated B-mode frame.
 */

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NodeFinding } from '../../../src/domain';
import { cropForNode } from '../../../src/imaging/node-geometry';
import { createRuntimeClient, type WorkerLike } from '../../../src/runtime/client';
import type { WorkerResponse } from '../../../src/runtime/protocol';
import { checkWorkerResponse, isWorkerRequest } from '../../../src/runtime/protocol-check';
import { createRequestHandler } from '../../../src/runtime/worker-handler';
import { diskFetch, fixtureManifestUrl, packWithFinder, phantomWithNode } from './helpers';

function harness() {
  const posted: WorkerResponse[] = [];
  const handle = createRequestHandler((message) => posted.push(message), { fetchFn: diskFetch });
  return { posted, handle, last: () => posted[posted.length - 1]! };
}

function iou(a: NodeFinding['box'], b: NodeFinding['box']): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (ix * iy) / (a.width * a.height + b.width * b.height - ix * iy);
}

/** `img` pasted at (x, y) of a black `w × h` frame. */
function padded(img: { width: number; height: number; data: Uint8ClampedArray }, w: number, h: number, x: number, y: number) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  for (let r = 0; r < img.height; r++)
    data.set(img.data.subarray(r * img.width * 4, (r + 1) * img.width * 4), ((y + r) * w + x) * 4);
  return { width: w, height: h, data };
}

let manifestUrl: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('node finder in the worker', () => {
  beforeAll(async () => {
    manifestUrl = await packWithFinder();
  });

  it('proposes the node of a simulated frame and outlines the clicked one, with a flat tensor count', async () => {
    const h = harness();
    await h.handle({ type: 'init', id: 1, manifestUrl, backend: 'cpu' });
    const ready = h.last();
    if (ready.type !== 'ready') throw new Error(`not ready: ${JSON.stringify(ready)}`);
    expect(ready.manifest.crop?.kind).toBe('node-box-margin');
    const { image, node } = phantomWithNode(SEED);
    let id = 2;
    const find = async (point?: { x: number; y: number }) => {
      await h.handle({
        type: 'find-node',
        id: id++,
        modality: 'bmode',
        pixels: { ...image, data: new Uint8ClampedArray(image.data) },
        ...(point ? { point } : {}),
      });
      const m = h.last();
      expect(checkWorkerResponse(m)).toBeNull();
      if (m.type !== 'node') throw new Error(`no node answer: ${JSON.stringify(m)}`);
      return m;
    };
    const auto = await find();
    expect(auto.finding).not.toBeNull();
    const f = auto.finding!;
    expect(iou(f.box, node)).toBeGreaterThan(0.5);
    const crop = cropForNode(f.box, ready.manifest.crop!, { x: 0, y: 0, width: image.width, height: image.height });
    expect(
      crop.x <= node.x &&
        crop.y <= node.y &&
        crop.x + crop.width >= node.x + node.width &&
        crop.y + crop.height >= node.y + node.height,
    ).toBe(true);
    console.info(
      `finder on a 640×480 frame (cpu): ${auto.ms.toFixed(0)} ms, box IoU ${iou(f.box, node).toFixed(2)}, score ${f.score.toFixed(2)}`,
    );

    const clicked = await find({ x: node.x + node.width / 2, y: node.y + node.height / 2 });
    expect(iou(clicked.finding!.box, node)).toBeGreaterThan(0.5);

    await h.handle({ type: 'stats', id: id++ });
    const before = h.last();
    for (let i = 0; i < 3; i++) await find(i % 2 ? { x: 30, y: 30 } : undefined);
    await h.handle({ type: 'stats', id: id++ });
    const after = h.last();
    if (before.type !== 'stats' || after.type !== 'stats') throw new Error('no stats');
    expect(after.numTensors).toBe(before.numTensors);

    await h.handle({
      type: 'find-node',
      id: 99,
      modality: 'bmode',
      pixels: { ...image, data: new Uint8ClampedArray(image.data) },
      point: { x: 9999, y: 1 },
    });
    expect(h.last()).toMatchObject({
      type: 'error',
      id: 99,
      code: 'bad-input',
      message: expect.stringMatching(/outside the 640×480 image/),
    });
    await h.handle({ type: 'dispose', id: 100 });
  });

  it("finds the node of a larger frame through both passes (coarse-to-fine), in that frame's pixels", async () => {
    const h = harness();
    await h.handle({ type: 'init', id: 1, manifestUrl, backend: 'cpu' });
    // The 640 × 480 frame pasted at (160, 120) of a black 960 × 720 one: the node is a smaller part of it.
    const { image, node } = phantomWithNode(SEED);
    const big = padded(image, 960, 720, 160, 120);
    const want = { ...node, x: node.x + 160, y: node.y + 120 };
    let id = 2;
    const find = async (point?: { x: number; y: number }) => {
      await h.handle({ type: 'find-node', id: id++, modality: 'bmode', pixels: big, ...(point ? { point } : {}) });
      const m = h.last();
      if (m.type !== 'node') throw new Error(`no node answer: ${JSON.stringify(m)}`);
      return m.finding;
    };
    await h.handle({ type: 'stats', id: id++ });
    const before = h.last();
    const auto = await find();
    expect(auto).not.toBeNull();
    expect(iou(auto!.box, want)).toBeGreaterThan(0.5);
    for (const [x, y] of auto!.outline) {
      expect(x).toBeGreaterThanOrEqual(160);
      expect(y).toBeGreaterThanOrEqual(120);
    }
    const clicked = await find({ x: want.x + want.width / 2, y: want.y + want.height / 2 });
    expect(iou(clicked!.box, want)).toBeGreaterThan(0.5);
    await h.handle({ type: 'stats', id: id++ });
    const after = h.last();
    if (before.type !== 'stats' || after.type !== 'stats') throw new Error('no stats');
    expect(after.numTensors).toBe(before.numTensors); // both passes freed
    await h.handle({ type: 'dispose', id: id++ });
  });

  it('says so when the pack has no node finder', async () => {
    const h = harness();
    await h.handle({ type: 'init', id: 1, manifestUrl: await fixtureManifestUrl(), backend: 'cpu' });
    const { image } = phantomWithNode(SEED);
    await h.handle({ type: 'find-node', id: 2, modality: 'bmode', pixels: image });
    expect(h.last()).toMatchObject({ type: 'error', code: 'bad-input', message: 'This model pack has no node finder.' });
    await h.handle({ type: 'dispose', id: 3 });
  });

  it('answers proposeNode and outlineAt through the client', async () => {
    const handle = createRequestHandler(
      (message, transfer = []) => setTimeout(() => emit({ data: structuredClone(message, { transfer }) })),
      { fetchFn: diskFetch },
    );
    let emit: (e: unknown) => void = () => undefined;
    const worker: WorkerLike = {
      postMessage: (m, transfer) => setTimeout(() => void handle(structuredClone(m, { transfer }))),
      addEventListener: (type, l) => {
        if (type === 'message') emit = l as (e: unknown) => void;
      },
      terminate: () => undefined,
    };
    const client = createRuntimeClient(() => worker);
    await client.init(manifestUrl, 'cpu');
    const { image, node } = phantomWithNode(SEED);
    const proposed = await client.proposeNode('bmode', image);
    expect(iou(proposed!.box, node)).toBeGreaterThan(0.5);
    expect(image.data.length).toBe(640 * 480 * 4); // the caller keeps its pixels
    const outlined = await client.outlineAt('bmode', image, { x: node.x + node.width / 2, y: node.y + node.height / 2 });
    expect(outlined!.outline.length).toBeGreaterThanOrEqual(3);
    await client.dispose();
  });
});

describe('node finder messages are validated', () => {
  const good = {
    type: 'node',
    id: 1,
    ms: 3,
    finding: {
      box: { x: 1, y: 2, width: 3, height: 4 },
      outline: [
        [1, 2],
        [4, 2],
        [4, 6],
      ],
      score: 0.8,
    },
  };
  it('accepts a finding or null and names the bad field otherwise', () => {
    expect(checkWorkerResponse(good)).toBeNull();
    expect(checkWorkerResponse({ ...good, finding: null })).toBeNull();
    expect(checkWorkerResponse({ ...good, finding: { ...good.finding, score: 1.5 } })).toMatch(/^finding.score/);
    expect(checkWorkerResponse({ ...good, finding: { ...good.finding, outline: [[1, 2]] } })).toMatch(/^finding.outline/);
    expect(
      checkWorkerResponse({
        ...good,
        finding: {
          ...good.finding,
          outline: [
            [1, 2],
            [3, NaN],
            [4, 4],
          ],
        },
      }),
    ).toMatch(/^finding.outline\[1\]/);
    expect(checkWorkerResponse({ ...good, finding: { ...good.finding, box: { x: -1, y: 0, width: 3, height: 4 } } })).toMatch(
      /^finding\.box\.x/,
    );
    expect(checkWorkerResponse({ ...good, ms: -1 })).toMatch(/^ms/);
  });
  it('refuses find-node requests with a bad point or bad pixels', () => {
    const pixels = { width: 2, height: 2, data: new Uint8ClampedArray(16) };
    expect(isWorkerRequest({ type: 'find-node', id: 1, modality: 'bmode', pixels })).toBe(true);
    expect(isWorkerRequest({ type: 'find-node', id: 1, modality: 'bmode', pixels, point: { x: 1, y: 1 } })).toBe(true);
    expect(isWorkerRequest({ type: 'find-node', id: 1, modality: 'bmode', pixels, point: { x: NaN, y: 1 } })).toBe(false);
    expect(isWorkerRequest({ type: 'find-node', id: 1, modality: 'bmode', pixels: { ...pixels, width: 3 } })).toBe(false);
  });
});

/**
 * A simulated frame whose node the bundled finder proposes with confidence (metastatic seed 4: box
 * IoU 0.95, confidence 0.95, coarse-to-fine on the CPU backend). A regression check of the whole path, not a measure of the finder:
 * its rates over held-out images are in the pack's model card and docs/node-finder.md.
 */
const SEED = 4;
