/**
 * Grad-CAM arithmetic that needs no tensor library: normalisation of class activation maps and a
 * plain reference CAM used by tests and tooling. The runtime computes the gradients with tfjs and
 * hands its raw (ReLU'd) maps to `normaliseCam`.
 */

export interface NormalisedCam {
  /** Values in [0, 1], row-major, same size as the input map. */
  map: Float32Array;
  /**
   * True when the map has no positive value: no spatial evidence for the class at this layer.
   * The map then stays all-zero instead of being stretched into noise.
   */
  empty: boolean;
}

/**
 * Scales a ReLU'd class activation map to [0, 1] by its maximum. Dividing by the maximum (rather
 * than min-max stretching) keeps 0 meaning "no evidence", so weak maps are not inflated.
 * Negative values (there should be none after ReLU) are clamped to 0; non-finite values throw,
 * because a NaN heatmap must never be drawn as if it meant something.
 */
export function normaliseCam(raw: ArrayLike<number>): NormalisedCam {
  let max = 0;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (!Number.isFinite(v)) throw new Error(`Grad-CAM map has a non-finite value (${v}) at index ${i}`);
    if (v > max) max = v;
  }
  const map = new Float32Array(raw.length);
  if (max === 0) return { map, empty: true };
  for (let i = 0; i < raw.length; i++) map[i] = Math.max(0, raw[i]!) / max;
  return { map, empty: false };
}

/**
 * Reference CAM = ReLU(Σ_k w_k · A_k) for one class, from activations `A` (h × w × k, row-major,
 * channels last, as a feature map comes out of an NHWC network) and channel weights `w` (length k).
 * Not normalised. With w_k = the class's Dense weights after global average pooling this is the
 * original CAM, which Grad-CAM must reproduce up to a positive scale.
 */
export function weightedActivationMap(activations: ArrayLike<number>, channelWeights: ArrayLike<number>): Float32Array {
  const k = channelWeights.length;
  if (k === 0 || activations.length % k !== 0) {
    throw new Error(`activations (${activations.length} values) are not a whole number of ${k}-channel pixels`);
  }
  const pixels = activations.length / k;
  const out = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += activations[p * k + c]! * channelWeights[c]!;
    out[p] = Math.max(0, sum);
  }
  return out;
}
