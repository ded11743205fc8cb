/**
 * Writes the test fixture model pack `fixture-tiny` into tests/.generated/models/.
 *
 * One tiny ResNet-like LayersModel per modality (64×64×3 input, seeded random weights), saved in
 * model pack format v1 so the runtime, the unit tests and the browser tests all exercise the same
 * loading path as a real pack. The weights are random: the manifest says so (`fixture: true`)
 * and the app must never present it as a model. Output is byte-for-byte deterministic, so the
 * SHA-256 values in the manifest are stable across runs and machines.
 */

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { MODALITIES, type Modality } from '../src/model-pack/manifest';

export const FIXTURE_PACK_ID = 'fixture-tiny';
export const FIXTURE_INPUT_SIZE = 64;
export const FIXTURE_GRADCAM_LAYER = 'block2_out';
export const FIXTURE_CLASSES = [
  { id: 'metastatic', label: 'Metastatic' },
  { id: 'lymphoma', label: 'Lymphoma' },
  { id: 'benign', label: 'Benign' },
];
/** Different temperatures per modality so tests can see the temperature being applied. */
export const FIXTURE_TEMPERATURES: Record<Modality, number> = { bmode: 1, cdfi: 1.5, elastography: 0.75 };
const FIXTURE_SEEDS: Record<Modality, number> = { bmode: 11, cdfi: 23, elastography: 37 };
/** Small shards on purpose: the loader's multi-shard path is exercised by every test. */
const SHARD_BYTES = 16 * 1024;

const DEFAULT_OUT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../tests/.generated/models');

/**
 * Seeded initialisers: every weight tensor gets its own seed, derived from the model seed and a
 * running counter, so the model is a pure function of `seed`.
 */
function seededInit(seed: number) {
  let n = 0;
  return {
    kernel: () => tf.initializers.heNormal({ seed: seed * 1000 + n++ }),
    small: () => tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed * 1000 + n++ }),
    around: (centre: number, spread: number) =>
      tf.initializers.randomUniform({ minval: centre - spread, maxval: centre + spread, seed: seed * 1000 + n++ }),
  };
}

type Init = ReturnType<typeof seededInit>;

/** PyTorch-style "same" convolution: explicit ZeroPadding2D then a valid Conv2D (as the exporter writes them). */
function conv(
  x: tf.SymbolicTensor,
  init: Init,
  name: string,
  filters: number,
  kernelSize: number,
  strides = 1,
  useBias = true,
): tf.SymbolicTensor {
  const pad = (kernelSize - 1) / 2;
  const padded = pad > 0 ? (tf.layers.zeroPadding2d({ padding: pad, name: `${name}_pad` }).apply(x) as tf.SymbolicTensor) : x;
  return tf.layers
    .conv2d({
      name,
      filters,
      kernelSize,
      strides,
      padding: 'valid',
      useBias,
      kernelInitializer: init.kernel(),
      biasInitializer: useBias ? init.small() : 'zeros',
    })
    .apply(padded) as tf.SymbolicTensor;
}

function relu(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;
}

/** Basic residual block (two 3×3 convs); a 1×1 projection shortcut when the shape changes. */
function residualBlock(x: tf.SymbolicTensor, init: Init, name: string, filters: number, strides: number): tf.SymbolicTensor {
  const inChannels = x.shape[3];
  let y = conv(x, init, `${name}_conv1`, filters, 3, strides);
  y = relu(y, `${name}_relu1`);
  y = conv(y, init, `${name}_conv2`, filters, 3);
  const shortcut = strides !== 1 || inChannels !== filters ? conv(x, init, `${name}_proj`, filters, 1, strides) : x;
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tf.SymbolicTensor;
  return relu(sum, `${name}_out`);
}

/**
 * The fixture architecture: ResNet stem (7×7/2 conv, BatchNorm, ReLU, 3×3/2 max-pool), an identity
 * block, a downsampling block with a projection shortcut, global average pooling, linear logits.
 * Feature map at `block2_out`: 8×8×16.
 */
export function buildTinyResNet(seed: number, numClasses = 3): tf.LayersModel {
  const init = seededInit(seed);
  const input = tf.input({ shape: [FIXTURE_INPUT_SIZE, FIXTURE_INPUT_SIZE, 3], name: 'input' });
  let x = conv(input, init, 'stem_conv', 8, 7, 2, false);
  x = tf.layers
    .batchNormalization({
      name: 'stem_bn',
      epsilon: 1e-5,
      gammaInitializer: init.around(1, 0.2),
      betaInitializer: init.small(),
      movingMeanInitializer: init.small(),
      movingVarianceInitializer: init.around(1, 0.3),
    })
    .apply(x) as tf.SymbolicTensor;
  x = relu(x, 'stem_relu');
  x = tf.layers.zeroPadding2d({ padding: 1, name: 'stem_pool_pad' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'stem_pool' }).apply(x) as tf.SymbolicTensor;
  x = residualBlock(x, init, 'block1', 8, 1);
  x = residualBlock(x, init, 'block2', 16, 2);
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ name: 'logits', units: numClasses, kernelInitializer: init.kernel(), biasInitializer: init.small() })
    .apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: `tiny_resnet_${seed}` });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function joinWeightData(data: tf.io.WeightData): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  return new Uint8Array(tf.io.concatenateArrayBuffers(parts));
}

/** Serialises a model as `model.json` + `group1-shardNofM.bin` (TF.js LayersModel format). */
async function serialiseModel(model: tf.LayersModel): Promise<Map<string, Uint8Array>> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightSpecs || !artifacts.weightData) throw new Error('model.save produced no weights');
  const weights = joinWeightData(artifacts.weightData);
  const shardCount = Math.max(1, Math.ceil(weights.byteLength / SHARD_BYTES));
  const files = new Map<string, Uint8Array>();
  const shardNames: string[] = [];
  for (let i = 0; i < shardCount; i++) {
    const name = `group1-shard${i + 1}of${shardCount}.bin`;
    shardNames.push(name);
    files.set(name, weights.slice(i * SHARD_BYTES, Math.min(weights.byteLength, (i + 1) * SHARD_BYTES)));
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: shardNames, weights: artifacts.weightSpecs }],
  };
  files.set('model.json', new TextEncoder().encode(JSON.stringify(modelJson)));
  return files;
}

function modalitySpec(m: Modality) {
  return {
    model: `${m}/model.json`,
    architecture: 'tiny-resnet-fixture',
    input: {
      height: FIXTURE_INPUT_SIZE,
      width: FIXTURE_INPUT_SIZE,
      channelOrder: 'RGB',
      resize: 'bilinear-antialias',
      scale: 1 / 255,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    },
    gradcamLayer: FIXTURE_GRADCAM_LAYER,
    temperature: FIXTURE_TEMPERATURES[m],
    weightsDtype: 'float32',
  };
}

export interface FixturePackPaths {
  root: string;
  manifest: string;
  index: string;
}

/** Builds the fixture pack under `outRoot` (default tests/.generated/models) and returns its paths. */
export async function makeFixturePack(outRoot = DEFAULT_OUT_ROOT): Promise<FixturePackPaths> {
  const previousBackend = tf.getBackend();
  // Initialisers run on the CPU backend so the random numbers never depend on a GPU.
  await tf.setBackend('cpu');
  const packDir = join(outRoot, FIXTURE_PACK_ID);
  await rm(packDir, { recursive: true, force: true });
  const files: { path: string; bytes: number; sha256: string }[] = [];
  const modalities: Record<string, ReturnType<typeof modalitySpec>> = {};
  for (const m of MODALITIES) {
    const model = buildTinyResNet(FIXTURE_SEEDS[m]);
    const modelFiles = await serialiseModel(model);
    model.dispose();
    await mkdir(join(packDir, m), { recursive: true });
    for (const [name, bytes] of modelFiles) {
      await writeFile(join(packDir, m, name), bytes);
      files.push({ path: `${m}/${name}`, bytes: bytes.byteLength, sha256: sha256(bytes) });
    }
    modalities[m] = modalitySpec(m);
  }
  const manifest = {
    format: 'lymphscope-model-pack',
    formatVersion: 1,
    id: FIXTURE_PACK_ID,
    version: '1.0.0',
    title: 'Test fixture — random weights, not a model',
    fixture: true,
    classes: FIXTURE_CLASSES,
    modalities,
    fusion: { method: 'mean' },
    files,
    metrics: [],
    training: { summary: 'Not trained: seeded random weights for automated tests.', seeds: FIXTURE_SEEDS },
    intendedUse: 'Automated software tests only. Its outputs are meaningless.',
    disclaimer: 'Test fixture with random weights. Not a model: never use its output for any decision.',
    license: 'Apache-2.0',
  };
  const manifestPath = join(packDir, 'manifest.json');
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  const index = {
    formatVersion: 1,
    default: FIXTURE_PACK_ID,
    packs: [{ id: FIXTURE_PACK_ID, path: `${FIXTURE_PACK_ID}/manifest.json`, title: manifest.title }],
  };
  const indexPath = join(outRoot, 'index.json');
  await writeFile(indexPath, JSON.stringify(index, null, 2) + '\n');
  if (previousBackend && previousBackend !== 'cpu') await tf.setBackend(previousBackend);
  return { root: packDir, manifest: manifestPath, index: indexPath };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  const paths = await makeFixturePack();
  console.log(`Fixture pack written: ${paths.manifest}`);
}
