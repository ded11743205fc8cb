/**
 * torchvision EfficientNet-B0…B7 (torchvision 0.13+ module layout) → the app's graph. The variant
 * is recognised from the stem width and the blocks per stage; kernel sizes come from the weights,
 * strides and paddings are torchvision's. Layers:
 *  - Conv2dNormActivation: Conv2D or DepthwiseConv2D with BatchNorm folded, then SiLU (`swish`);
 *  - squeeze-excitation: GlobalAveragePooling2D → Dense (fc1, a 1×1 conv on a 1×1 map) → swish →
 *    Dense (fc2) → sigmoid → Reshape [1, 1, C] → Multiply with the block's feature map;
 *  - stochastic depth and dropout are the identity in inference; residual blocks end in Add.
 * Names are the module paths with `.` → `_`; the Grad-CAM layer is the last feature map (`features_8_2`).
 * torchvision builds B5–B7 with BatchNorm eps 1e-3, the others 1e-5; a whole pickled model says its own.
 */

import { GraphBuilder, MappingError, type ExportGraph } from './graph';
import { K } from './keras';

const BASE_DEPTHS = [1, 2, 2, 3, 3, 4, 1];
const STAGE_STRIDES = [1, 2, 2, 2, 1, 2, 1];
const SCALING: [string, number, number, number][] = [
  // name, width_mult, depth_mult, torchvision's evaluation crop
  ['efficientnet_b0', 1.0, 1.0, 224],
  ['efficientnet_b1', 1.0, 1.1, 240],
  ['efficientnet_b2', 1.1, 1.2, 288],
  ['efficientnet_b3', 1.2, 1.4, 300],
  ['efficientnet_b4', 1.4, 1.8, 380],
  ['efficientnet_b5', 1.6, 2.2, 456],
  ['efficientnet_b6', 1.8, 2.6, 528],
  ['efficientnet_b7', 2.0, 3.1, 600],
];

function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

export interface EfficientNetVariant {
  name: string;
  depths: number[];
  stem: number;
  defaultSize: number;
  eps: number;
}

export const EFFICIENTNET_VARIANTS: EfficientNetVariant[] = SCALING.map(([name, w, d, size], i) => ({
  name,
  depths: BASE_DEPTHS.map((n) => Math.ceil(n * d)),
  stem: makeDivisible(32 * w),
  defaultSize: size,
  eps: i >= 5 ? 1e-3 : 1e-5,
}));

export function isEfficientNet(keys: ReadonlySet<string>): boolean {
  return keys.has('features.0.0.weight') && keys.has('features.1.0.block.0.0.weight');
}

function stageDepths(has: (k: string) => boolean): number[] {
  return [1, 2, 3, 4, 5, 6, 7].map((s) => {
    let n = 0;
    while (has(`features.${s}.${n}.block.0.0.weight`)) n++;
    return n;
  });
}

/** The variant the keys describe, or a `MappingError` naming what is supported. */
export function efficientNetVariant(has: (k: string) => boolean, stemShape: number[] | null): EfficientNetVariant {
  const depths = stageDepths(has);
  const stem = stemShape?.[0] ?? -1;
  const v = EFFICIENTNET_VARIANTS.find((x) => x.stem === stem && x.depths.join() === depths.join());
  if (!v) {
    throw new MappingError(
      `an EfficientNet with stem width ${stem} and blocks [${depths.join(', ')}] per stage is not one of EfficientNet-B0…B7 (torchvision); EfficientNet-V2 is not supported`,
      'architecture',
    );
  }
  return v;
}

export function efficientNetToGraph(b: GraphBuilder, v: EfficientNetVariant, size: number, numClasses: number): ExportGraph {
  const src = b.src;
  const cna = (path: string, inp: string, stride: number, act: boolean, depthwise = false): string => {
    const k = src.shape(`${path}.0.weight`)?.[2] ?? 1;
    const name = path.replaceAll('.', '_');
    let x = b.convBn(`${name}_0`, inp, `${path}.0`, `${path}.1`, { stride, padding: (k - 1) / 2, depthwise });
    if (act) x = b.activation(`${name}_2`, x, 'swish');
    return x;
  };
  let x = b.input(size, size);
  x = cna('features.0', x, 2, true);
  let channels = v.stem;
  for (let s = 1; s <= 7; s++) {
    for (let j = 0; j < v.depths[s - 1]!; j++) {
      const p = `features.${s}.${j}.block`;
      const stride = j === 0 ? STAGE_STRIDES[s - 1]! : 1;
      const expand = (src.shape(`${p}.0.0.weight`)?.[1] ?? 1) !== 1;
      let k = 0;
      let y = x;
      if (expand) y = cna(`${p}.${k++}`, y, 1, true);
      y = cna(`${p}.${k++}`, y, stride, true, true);
      y = squeezeExcitation(b, `${p}.${k++}`, y);
      y = cna(`${p}.${k++}`, y, 1, false);
      const out = src.shape(`${p}.${k - 1}.0.weight`)?.[0] ?? -1;
      const name = `features_${s}_${j}`;
      if (stride === 1 && out === channels) {
        b.g.layers.push(K.add(`${name}_add`, [y, x]));
        y = `${name}_add`;
      }
      x = y;
      channels = out;
    }
  }
  x = cna('features.8', x, 1, true);
  b.g.gradcamLayer = x;
  b.g.layers.push(K.globalAvgPool('avgpool', x));
  b.head('classifier_1', 'avgpool', 'classifier', numClasses);
  return b.g;
}

function squeezeExcitation(b: GraphBuilder, path: string, inp: string): string {
  const name = path.replaceAll('.', '_');
  const channels = b.src.shape(`${path}.fc2.weight`)?.[0];
  if (channels === undefined)
    throw new MappingError(`the checkpoint lacks weights that EfficientNet needs: ${path}.fc2.weight`, 'missing-keys');
  b.g.layers.push(K.globalAvgPool(`${name}_avgpool`, inp));
  let s = b.dense(`${name}_fc1`, `${name}_avgpool`, `${path}.fc1`);
  s = b.activation(`${name}_activation`, s, 'swish');
  s = b.dense(`${name}_fc2`, s, `${path}.fc2`);
  s = b.activation(`${name}_scale_activation`, s, 'sigmoid');
  b.g.layers.push(K.reshape(`${name}_reshape`, s, [1, 1, channels]));
  b.g.layers.push(K.multiply(`${name}_scale`, [inp, `${name}_reshape`]));
  return `${name}_scale`;
}
