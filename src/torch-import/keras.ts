/**
 * Keras layer configs of a TF.js LayersModel topology, written exactly as the Python exporter
 * writes them (training/export/keras_layers.py), so a pack built here equals one built there.
 * Initializers are `Zeros`: loading does not draw random weights that are overwritten at once.
 */

export interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, never>][][];
}

const ZEROS = { class_name: 'Zeros', config: {} };

function layer(className: string, name: string, inputs: string[], config: Record<string, unknown> = {}): KerasLayer {
  return {
    class_name: className,
    name,
    config: { name, trainable: false, dtype: 'float32', ...config },
    inbound_nodes: inputs.length ? [inputs.map((i) => [i, 0, 0, {}] as [string, number, number, Record<string, never>])] : [],
  };
}

export const K = {
  input: (name: string, h: number, w: number) =>
    layer('InputLayer', name, [], { batch_input_shape: [null, h, w, 3], sparse: false }),
  zeroPadding: (name: string, inp: string, ph: number, pw: number) =>
    layer('ZeroPadding2D', name, [inp], {
      padding: [
        [ph, ph],
        [pw, pw],
      ],
      data_format: 'channels_last',
    }),
  conv2d: (name: string, inp: string, filters: number, kernel: [number, number], stride: [number, number], padding: string) =>
    layer('Conv2D', name, [inp], {
      filters,
      kernel_size: kernel,
      strides: stride,
      padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: 'linear',
      use_bias: true,
      kernel_initializer: ZEROS,
      bias_initializer: ZEROS,
    }),
  depthwise: (name: string, inp: string, kernel: [number, number], stride: [number, number], padding: string) =>
    layer('DepthwiseConv2D', name, [inp], {
      kernel_size: kernel,
      strides: stride,
      padding,
      depth_multiplier: 1,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: 'linear',
      use_bias: true,
      depthwise_initializer: ZEROS,
      bias_initializer: ZEROS,
    }),
  activation: (name: string, inp: string, activation: 'relu' | 'swish' | 'sigmoid') =>
    layer('Activation', name, [inp], { activation }),
  add: (name: string, inputs: string[]) => layer('Add', name, inputs),
  multiply: (name: string, inputs: string[]) => layer('Multiply', name, inputs),
  reshape: (name: string, inp: string, shape: number[]) => layer('Reshape', name, [inp], { target_shape: shape }),
  maxPool: (name: string, inp: string, pool: number, stride: number) =>
    layer('MaxPooling2D', name, [inp], {
      pool_size: [pool, pool],
      strides: [stride, stride],
      padding: 'valid',
      data_format: 'channels_last',
    }),
  globalAvgPool: (name: string, inp: string) => layer('GlobalAveragePooling2D', name, [inp], { data_format: 'channels_last' }),
  dense: (name: string, inp: string, units: number) =>
    layer('Dense', name, [inp], {
      units,
      activation: 'linear',
      use_bias: true,
      kernel_initializer: ZEROS,
      bias_initializer: ZEROS,
    }),
};

export function functionalModel(
  name: string,
  layers: KerasLayer[],
  inputs: string[],
  outputs: string[],
): Record<string, unknown> {
  return {
    class_name: 'Model',
    config: {
      name,
      layers,
      input_layers: inputs.map((i) => [i, 0, 0]),
      output_layers: outputs.map((o) => [o, 0, 0]),
    },
    keras_version: '2.13.1',
    backend: 'tensorflow',
  };
}
