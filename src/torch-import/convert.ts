/**
 * Checkpoint bytes → the app's graph: read the archive (restricted unpickler), find the weights
 * whatever the checkpoint style, recognise the architecture, map it with BatchNorm folded.
 */

import { type Checkpoint, CheckpointError, readCheckpoint, tensorData } from './archive';
import { efficientNetToGraph, efficientNetVariant, isEfficientNet } from './efficientnet';
import { GraphBuilder, MappingError, TensorSource, type ExportGraph } from './graph';
import { isResNet, resnetToGraph, resnetVariant } from './resnet';
import { findStateDict } from './state-dict';

export interface ConvertOptions {
  numClasses: number;
  /** Input size (square); default: the architecture's usual one (ResNet 224, EfficientNet-Bn its crop). */
  size?: number;
}

export interface Converted {
  graph: ExportGraph;
  size: number;
  /** How the checkpoint was read: format and style, for the summary. */
  notes: string[];
}

/** What `suggestSize` and the UI can know before building: architecture and its usual input size. */
export interface Inspected {
  architecture: string;
  defaultSize: number;
  numOutputs: number | null;
}

const SUPPORTED = 'ResNet-18, ResNet-34, ResNet-50 and EfficientNet-B0…B7 (torchvision)';

function open(bytes: Uint8Array) {
  const ckpt: Checkpoint = readCheckpoint(bytes);
  const sd = findStateDict(ckpt.root);
  // Shapes are known without copying data: `shape()` answers from the references.
  const shapeOf = (key: string) => sd.tensors.get(key)?.shape ?? null;
  const src = new TensorSource(
    new Set(sd.tensors.keys()),
    (key) => {
      const ref = sd.tensors.get(key)!;
      return { shape: ref.shape, data: tensorData(ckpt, ref, key) };
    },
    shapeOf,
  );
  return { ckpt, sd, src, shapeOf };
}

function identify(keys: ReadonlySet<string>, shapeOf: (k: string) => number[] | null): Inspected {
  const has = (k: string) => keys.has(k);
  if (isResNet(keys)) {
    const b = new GraphBuilder(
      new TensorSource(keys, () => ({ shape: [], data: new Float32Array() }), shapeOf),
      '',
      new Map(),
      1e-5,
    );
    const fc = shapeOf('fc.weight') ?? shapeOf('fc.1.weight');
    return { architecture: resnetVariant(b), defaultSize: 224, numOutputs: fc?.[0] ?? null };
  }
  if (isEfficientNet(keys)) {
    const v = efficientNetVariant(has, shapeOf('features.0.0.weight'));
    return { architecture: v.name, defaultSize: v.defaultSize, numOutputs: shapeOf('classifier.1.weight')?.[0] ?? null };
  }
  const sample = [...keys].slice(0, 5).join(', ');
  throw new MappingError(
    `the architecture of this checkpoint is not supported (weights such as ${sample}); supported: ${SUPPORTED}`,
    'architecture',
  );
}

/** Architecture, usual input size and head size, without building anything. */
export function inspectCheckpoint(bytes: Uint8Array): Inspected {
  const { sd, shapeOf } = open(bytes);
  return identify(new Set(sd.tensors.keys()), shapeOf);
}

export function convertCheckpoint(bytes: Uint8Array, opts: ConvertOptions): Converted {
  const { ckpt, sd, src, shapeOf } = open(bytes);
  const info = identify(src.keys, shapeOf);
  const size = opts.size ?? info.defaultSize;
  if (!Number.isInteger(size) || size < 32 || size > 1024)
    throw new CheckpointError(`input size ${size} is outside 32…1024 pixels`);
  const isEff = info.architecture.startsWith('efficientnet');
  const eps = isEff ? efficientNetVariant((k) => src.has(k), shapeOf('features.0.0.weight')).eps : 1e-5;
  const b = new GraphBuilder(src, info.architecture, sd.eps, eps);
  const graph = isEff
    ? efficientNetToGraph(
        b,
        efficientNetVariant((k) => src.has(k), shapeOf('features.0.0.weight')),
        size,
        opts.numClasses,
      )
    : resnetToGraph(b, size, opts.numClasses);
  src.finish(info.architecture);
  return { graph, size, notes: [`${ckpt.format === 'zip' ? 'torch.save ZIP archive' : 'legacy torch.save file'}`, ...sd.style] };
}
