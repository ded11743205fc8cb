/** Calibrated class probabilities from logits (plain arithmetic, no tfjs). */

/** softmax(logits / temperature), computed stably (max subtracted before exponentiating). */
export function softmaxWithTemperature(logits: ArrayLike<number>, temperature: number): number[] {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`temperature must be > 0, got ${temperature}`);
  const scaled = Array.from(logits, (z) => z / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}
