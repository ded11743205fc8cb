/**
 * torchvision ResNet (BasicBlock: 18/34, Bottleneck: 50) → the app's graph, layer for layer as
 * training/export/resnet_graph.py writes it: names are module paths with `.` → `_`, each block's
 * output is `<block>_out`, the last block is the Grad-CAM layer. Depth and block type are read
 * from the checkpoint's keys; strides and paddings are torchvision's (they are not in a state dict).
 */

import { GraphBuilder, MappingError, type ExportGraph } from './graph';
import { K } from './keras';

const DEPTHS: Record<string, number[]> = {
  resnet18: [2, 2, 2, 2],
  resnet34: [3, 4, 6, 3],
  resnet50: [3, 4, 6, 3],
};

/** Blocks per stage as the keys say (`layer<i>.<j>.conv1.weight`). */
function stageDepths(has: (k: string) => boolean): number[] {
  return [1, 2, 3, 4].map((li) => {
    let n = 0;
    while (has(`layer${li}.${n}.conv1.weight`)) n++;
    return n;
  });
}

export function isResNet(keys: ReadonlySet<string>): boolean {
  return keys.has('conv1.weight') && keys.has('layer1.0.conv1.weight');
}

/** Which ResNet the keys describe, or a `MappingError` naming what is supported. */
export function resnetVariant(b: GraphBuilder): string {
  const has = (k: string) => b.src.has(k);
  const bottleneck = has('layer1.0.conv3.weight');
  const depths = stageDepths(has).join(',');
  const name = bottleneck
    ? depths === DEPTHS.resnet50!.join(',')
      ? 'resnet50'
      : null
    : depths === DEPTHS.resnet18!.join(',')
      ? 'resnet18'
      : depths === DEPTHS.resnet34!.join(',')
        ? 'resnet34'
        : null;
  if (!name) {
    throw new MappingError(
      `a ResNet with ${bottleneck ? 'bottleneck' : 'basic'} blocks [${depths}] per stage is not supported (supported: ResNet-18, ResNet-34, ResNet-50)`,
      'architecture',
    );
  }
  return name;
}

export function resnetToGraph(b: GraphBuilder, size: number, numClasses: number): ExportGraph {
  const has = (k: string) => b.src.has(k);
  const bottleneck = has('layer1.0.conv3.weight');
  let x = b.input(size, size);
  x = b.convBn('conv1', x, 'conv1', 'bn1', { stride: 2, padding: 3 });
  x = b.activation('relu', x, 'relu');
  // PyTorch pads max-pooling with −inf; zero padding is exact here because the input is post-ReLU
  // (≥ 0) and every 3×3 window holds at least one real pixel (same reasoning as the Python exporter).
  b.g.layers.push(K.zeroPadding('maxpool_pad', x, 1, 1));
  b.g.layers.push(K.maxPool('maxpool', 'maxpool_pad', 3, 2));
  x = 'maxpool';
  const depths = stageDepths(has);
  for (let li = 1; li <= 4; li++) {
    for (let bi = 0; bi < depths[li - 1]!; bi++) {
      const p = `layer${li}.${bi}`;
      const n = `layer${li}_${bi}`;
      const stride = li > 1 && bi === 0 ? 2 : 1;
      const convs = bottleneck
        ? [
            { stride: 1, padding: 0 },
            { stride, padding: 1 },
            { stride: 1, padding: 0 },
          ]
        : [
            { stride, padding: 1 },
            { stride: 1, padding: 1 },
          ];
      let y = x;
      convs.forEach((geo, i) => {
        y = b.convBn(`${n}_conv${i + 1}`, y, `${p}.conv${i + 1}`, `${p}.bn${i + 1}`, geo);
        if (i < convs.length - 1) y = b.activation(`${n}_relu${i + 1}`, y, 'relu');
      });
      let shortcut = x;
      if (has(`${p}.downsample.0.weight`)) {
        shortcut = b.convBn(`${n}_downsample_0`, x, `${p}.downsample.0`, `${p}.downsample.1`, { stride, padding: 0 });
      }
      b.g.layers.push(K.add(`${n}_add`, [y, shortcut]));
      x = b.activation(`${n}_out`, `${n}_add`, 'relu');
    }
  }
  b.g.gradcamLayer = x;
  b.g.layers.push(K.globalAvgPool('avgpool', x));
  b.head('fc', 'avgpool', 'fc', numClasses);
  return b.g;
}
