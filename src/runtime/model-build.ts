/** Builds one modality's tfjs LayersModel from a verified pack's files and checks it fits its manifest entry. */

import * as tf from '@tensorflow/tfjs';
import type { ModelFiles, Modality, ModalitySpec } from '../model-pack';
import { errorText, RuntimeError } from './errors';
import { optimiseTopology } from './optimise';

/**
 * Loads the model on the active backend; with `fuseConvRelu` (default) the topology is rewritten
 * first (optimise.ts). Unsupported layers and weight/topology mismatches become `pack-invalid`.
 */
export async function buildModel(
  modality: Modality,
  spec: ModalitySpec,
  files: ModelFiles,
  fuseConvRelu: boolean,
): Promise<tf.LayersModel> {
  try {
    const topology = fuseConvRelu ? optimiseTopology(files.topology, new Set([spec.gradcamLayer])).topology : files.topology;
    return await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: topology,
        weightSpecs: files.weightSpecs,
        weightData: files.weightData,
      }),
    );
  } catch (e) {
    // Unsupported layers and weight/topology mismatches land here: a pack problem, not a device one.
    const message = errorText(e);
    if (/Unknown layer|Unknown (activation|initializer)|shape|weight/i.test(message)) {
      throw new RuntimeError('pack-invalid', `The ${modality} model "${spec.model}" could not be built: ${message}`);
    }
    throw e;
  }
}

/** Throws `pack-invalid`, naming the manifest field, when the model's input or output does not match it. */
export function checkModelShape(model: tf.LayersModel, modality: Modality, spec: ModalitySpec, numClasses: number): void {
  const inShape = model.inputs[0]?.shape ?? [];
  const { height, width } = spec.input;
  if (inShape.length !== 4 || inShape[1] !== height || inShape[2] !== width || inShape[3] !== 3) {
    throw new RuntimeError(
      'pack-invalid',
      `modalities.${modality}.input: the model's input is [${inShape.join(', ')}], the manifest says [null, ${height}, ${width}, 3].`,
    );
  }
  const outShape = model.outputs[0]?.shape ?? [];
  if (outShape.length !== 2 || outShape[1] !== numClasses) {
    throw new RuntimeError(
      'pack-invalid',
      `modalities.${modality}.model: the model outputs [${outShape.join(', ')}], expected [null, ${numClasses}] logits (one per class).`,
    );
  }
}
