/**
 * What the architecture mappers (resnet.ts, efficientnet.ts) share: a source of checkpoint tensors
 * that remembers which were used and which were missing, BatchNorm folding in float64 rounded
 * once to float32 (as training/export/resnet_graph.py folds), PyTorch → TF kernel layouts, and
 * PyTorch's symmetric padding reproduced exactly (ZeroPadding2D + "valid" wherever TF's "same"
 * would pad asymmetrically).
 */

import { K, type KerasLayer } from './keras';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface WeightTensor extends Tensor {
  name: string;
}

export interface ExportGraph {
  layers: KerasLayer[];
  /** `<layer>/kernel`, `<layer>/bias` in layer order, TF layout. */
  weights: WeightTensor[];
  inputName: string;
  outputName: string;
  gradcamLayer: string;
  architecture: string;
}

export class MappingError extends Error {
  constructor(
    message: string,
    readonly problem: 'missing-keys' | 'unexpected-keys' | 'head-size' | 'architecture' | 'shape',
  ) {
    super(message);
    this.name = 'MappingError';
  }
}

/** Tensors by state-dict key, loaded on demand; records use and absence for one clear error at the end. */
export class TensorSource {
  readonly missing: string[] = [];
  private readonly used = new Set<string>();

  constructor(
    readonly keys: ReadonlySet<string>,
    private readonly load: (key: string) => Tensor,
    /** Shapes without loading data (the default loads the tensor). */
    private readonly shapeOf: (key: string) => number[] | null = (key) => load(key).shape,
  ) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  shape(key: string): number[] | null {
    return this.keys.has(key) ? this.shapeOf(key) : null;
  }

  /** The tensor, or a zero placeholder of `fallbackShape` when missing (the key is recorded). */
  take(key: string, fallbackShape: number[] = [1]): Tensor {
    if (!this.keys.has(key)) {
      this.missing.push(key);
      return { shape: fallbackShape, data: new Float32Array(fallbackShape.reduce((a, b) => a * b, 1)) };
    }
    this.used.add(key);
    return this.load(key);
  }

  /** Throws naming missing keys, then keys the architecture does not use (BN's counters aside). */
  finish(architecture: string): void {
    const list = (keys: string[]) => keys.slice(0, 12).join(', ') + (keys.length > 12 ? `, … (${keys.length} in all)` : '');
    if (this.missing.length) {
      throw new MappingError(`the checkpoint lacks weights that ${architecture} needs: ${list(this.missing)}`, 'missing-keys');
    }
    const unused = [...this.keys].filter((k) => !this.used.has(k) && !k.endsWith('num_batches_tracked'));
    if (unused.length) {
      throw new MappingError(`the checkpoint has weights that ${architecture} does not use: ${list(unused)}`, 'unexpected-keys');
    }
  }
}

export interface ConvGeometry {
  stride: number;
  padding: number;
  /** Depthwise (groups = channels) */
  depthwise?: boolean;
}

/** TF "same" equals PyTorch's symmetric padding only at stride 1 with pad = (k−1)/2. */
function tfSameIsSymmetric(kernel: number, stride: number, pad: number): boolean {
  return stride === 1 && kernel % 2 === 1 && pad === (kernel - 1) / 2;
}

export class GraphBuilder {
  readonly g: ExportGraph;

  constructor(
    readonly src: TensorSource,
    architecture: string,
    /** BatchNorm eps by module path (a whole pickled model's own values); `defaultEps` otherwise. */
    private readonly eps: Map<string, number>,
    private readonly defaultEps: number,
  ) {
    this.g = { layers: [], weights: [], inputName: 'input', outputName: 'fc', gradcamLayer: '', architecture };
  }

  input(h: number, w: number): string {
    this.g.layers.push(K.input(this.g.inputName, h, w));
    return this.g.inputName;
  }

  /**
   * Conv `convKey` followed by eval-mode BN `bnKey`, as one conv: W' = W·γ/√(σ²+ε), b' = β + (b − μ)·γ/√(σ²+ε),
   * in float64, rounded once to float32.
   */
  convBn(name: string, inp: string, convKey: string, bnKey: string, geo: ConvGeometry): string {
    const w = this.src.take(`${convKey}.weight`, [1, 1, 1, 1]);
    if (w.shape.length !== 4) throw new MappingError(`${convKey}.weight is not a 4-D convolution kernel`, 'shape');
    const [out, inPerGroup, kh, kw] = w.shape as [number, number, number, number];
    if (geo.depthwise && inPerGroup !== 1) throw new MappingError(`${convKey}: expected a depthwise kernel`, 'shape');
    const bias = this.src.has(`${convKey}.bias`) ? this.src.take(`${convKey}.bias`).data : null;
    const gamma = this.src.take(`${bnKey}.weight`, [out]).data;
    const beta = this.src.take(`${bnKey}.bias`, [out]).data;
    const mean = this.src.take(`${bnKey}.running_mean`, [out]).data;
    const variance = this.src.take(`${bnKey}.running_var`, [out]).data;
    const eps = this.eps.get(bnKey) ?? this.defaultEps;
    if ([gamma, beta, mean, variance].some((t) => t.length !== out))
      throw new MappingError(`${bnKey}: its size does not match ${convKey}`, 'shape');

    const { stride: s, padding: p } = geo;
    let padding = 'valid';
    if (p !== 0) {
      if (kh === kw && tfSameIsSymmetric(kh, s, p)) padding = 'same';
      else {
        this.g.layers.push(K.zeroPadding(`${name}_pad`, inp, p, p));
        inp = `${name}_pad`;
      }
    }
    const cin = geo.depthwise ? out : inPerGroup;
    // PyTorch [out, in, kh, kw] → TF Conv2D [kh, kw, in, out]; depthwise [C, 1, kh, kw] → [kh, kw, C, 1].
    const kernel = new Float32Array(w.data.length);
    const bf = new Float32Array(out);
    for (let o = 0; o < out; o++) {
      const g = gamma[o]! / Math.sqrt(variance[o]! + eps);
      bf[o] = beta[o]! + ((bias ? bias[o]! : 0) - mean[o]!) * g;
      for (let i = 0; i < inPerGroup; i++) {
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) {
            const v = w.data[((o * inPerGroup + i) * kh + y) * kw + x]! * g;
            kernel[geo.depthwise ? (y * kw + x) * out + o : ((y * kw + x) * cin + i) * out + o] = v;
          }
        }
      }
    }
    if (geo.depthwise) {
      this.g.layers.push(K.depthwise(name, inp, [kh, kw], [s, s], padding));
      this.g.weights.push({ name: `${name}/depthwise_kernel`, shape: [kh, kw, out, 1], data: kernel });
    } else {
      this.g.layers.push(K.conv2d(name, inp, out, [kh, kw], [s, s], padding));
      this.g.weights.push({ name: `${name}/kernel`, shape: [kh, kw, cin, out], data: kernel });
    }
    this.g.weights.push({ name: `${name}/bias`, shape: [out], data: bf });
    return name;
  }

  activation(name: string, inp: string, fn: 'relu' | 'swish' | 'sigmoid'): string {
    this.g.layers.push(K.activation(name, inp, fn));
    return name;
  }

  /** A Linear (`key.weight` [out, in], `key.bias`) or a 1×1 conv on a pooled vector, as Dense. */
  dense(name: string, inp: string, key: string): string {
    const w = this.src.take(`${key}.weight`, [1, 1]);
    const [out, cin] = w.shape as [number, number];
    const kernel = new Float32Array(out * cin);
    for (let o = 0; o < out; o++) for (let i = 0; i < cin; i++) kernel[i * out + o] = w.data[o * cin + i]!;
    const bias = this.src.take(`${key}.bias`, [out]).data;
    this.g.layers.push(K.dense(name, inp, out));
    this.g.weights.push({ name: `${name}/kernel`, shape: [cin, out], data: kernel });
    this.g.weights.push({ name: `${name}/bias`, shape: [out], data: Float32Array.from(bias) });
    return name;
  }

  /**
   * The classifier: `key` a Linear, or a `Sequential(Dropout, Linear)` (`key.1`), with `numClasses`
   * outputs; named `denseName` in the graph. Dropout is the identity in inference.
   */
  head(denseName: string, inp: string, key: string, numClasses: number): string {
    const linear = this.src.has(`${key}.weight`) ? key : this.src.has(`${key}.1.weight`) ? `${key}.1` : key;
    const shape = this.src.shape(`${linear}.weight`);
    if (shape && shape[0] !== numClasses) {
      throw new MappingError(
        `the checkpoint's head ${linear} has ${shape[0]} outputs, but ${numClasses} classes were given`,
        'head-size',
      );
    }
    this.g.outputName = this.dense(denseName, inp, linear);
    return this.g.outputName;
  }
}
