/// <reference lib="webworker" />
/**
 * The outline worker: runs the seeded segmentation (./segment.ts) off the UI thread, so a click on
 * a large frame never freezes the page.
 */

import type { OutlineRequest, OutlineResponse } from './outline-client';
import { outlineFromSeed } from './segment';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = (e: MessageEvent<OutlineRequest>) => {
  const { id, width, height, data, seed, area } = e.data;
  let msg: OutlineResponse;
  try {
    msg = { id, result: outlineFromSeed({ width, height, data: new Uint8ClampedArray(data) }, seed, area) };
  } catch (err) {
    msg = { id, error: String(err).slice(0, 160) };
  }
  scope.postMessage(msg);
};
