import type { NodeFinderSpec } from '../../../src/model-pack';

/** A node finder's manifest entry for geometry tests: the bundled pack's conventions at another size. */
export function finderSpec(inputSize: number, threshold: number): NodeFinderSpec {
  return {
    model: 'node-finder/model.json',
    inputSize,
    resize: 'bilinear-antialias',
    normalisation: { channel: 'luma', luma: [0.299, 0.587, 0.114], scale: 1 / 255, mean: 0.5, std: 0.25 },
    prompt: { kind: 'gaussian', sigma: 3 },
    threshold,
    minArea: 4,
    clickRadius: 0.1,
  };
}
