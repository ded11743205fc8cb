/**
 * The small fixed inference automatic choice times on each candidate backend when it cannot tell a
 * real GPU from a software one (choice.ts): four 3×3 convolutions with ReLU on a 1×64×64×32 input,
 * about 38 M multiply-adds, the kind of work a model pack is made of, at a fraction of its cost.
 * The first run pays for shader compilation and is not counted; the median of the next three is.
 */

import * as tf from '@tensorflow/tfjs';
import { errorText } from '../errors';
import type { BackendHost, BackendStrategy } from './strategy';

const SIZE = 64;
const CHANNELS = 32;
const LAYERS = 4;
const TIMED_RUNS = 3;

function fixedValues(length: number, seed: number, scale: number): Float32Array {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = ((((i + seed) * 7919) % 199) / 199 - 0.5) * scale;
  return values;
}

const input = fixedValues(SIZE * SIZE * CHANNELS, 1, 2);
const filters = Array.from({ length: LAYERS }, (_, l) => fixedValues(9 * CHANNELS * CHANNELS, 11 + l, 0.2));

async function runOnce(): Promise<void> {
  const out = tf.tidy(() => {
    let x: tf.Tensor4D = tf.tensor4d(input, [1, SIZE, SIZE, CHANNELS]);
    for (const f of filters) x = tf.relu(tf.conv2d(x, tf.tensor4d(f, [3, 3, CHANNELS, CHANNELS]), 1, 'same'));
    return tf.mean(x);
  });
  try {
    // Reading the result back waits for the device: the time includes the whole computation.
    await out.data();
  } finally {
    out.dispose();
  }
}

/**
 * Makes `strategy` tfjs's backend (configure + smoke test, as the supervisor would) and times the
 * fixed inference on it: the median in ms, or why the backend could not be timed.
 */
export async function timeSmallInference(strategy: BackendStrategy, host: BackendHost): Promise<number | string> {
  try {
    const unusable = (await strategy.configure(host)) ?? (await strategy.smokeTest());
    if (unusable) return unusable;
    await runOnce();
    const times: number[] = [];
    for (let i = 0; i < TIMED_RUNS; i++) {
      const start = performance.now();
      await runOnce();
      times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b)[Math.floor(TIMED_RUNS / 2)]!;
  } catch (e) {
    return `exception: ${errorText(e)}`;
  }
}
