"""Builders for the Keras layer configs of a TF.js LayersModel topology (functional API JSON).

Only what `tf.loadLayersModel` needs is written; initializers are `Zeros` so loading does not
spend time drawing random weights that are overwritten at once.
"""

from __future__ import annotations

from typing import Any

Layer = dict[str, Any]
ZEROS = {"class_name": "Zeros", "config": {}}


def _layer(class_name: str, name: str, inputs: list[str], **config: Any) -> Layer:
    return {
        "class_name": class_name,
        "name": name,
        "config": {"name": name, "trainable": False, "dtype": "float32", **config},
        "inbound_nodes": [[[i, 0, 0, {}] for i in inputs]] if inputs else [],
    }


def input_layer(name: str, height: int | None, width: int | None) -> Layer:
    return _layer("InputLayer", name, [], batch_input_shape=[None, height, width, 3], sparse=False)


def zero_padding(name: str, inp: str, pad_h: int, pad_w: int) -> Layer:
    return _layer("ZeroPadding2D", name, [inp], padding=[[pad_h, pad_h], [pad_w, pad_w]], data_format="channels_last")


def conv2d(name: str, inp: str, filters: int, kernel: tuple[int, int], stride: tuple[int, int], padding: str) -> Layer:
    return _layer(
        "Conv2D", name, [inp],
        filters=filters, kernel_size=list(kernel), strides=list(stride), padding=padding,
        data_format="channels_last", dilation_rate=[1, 1], activation="linear", use_bias=True,
        kernel_initializer=ZEROS, bias_initializer=ZEROS,
    )


def relu(name: str, inp: str) -> Layer:
    return _layer("Activation", name, [inp], activation="relu")


def add(name: str, inputs: list[str]) -> Layer:
    return _layer("Add", name, inputs)


def max_pool(name: str, inp: str, pool: int, stride: int) -> Layer:
    return _layer("MaxPooling2D", name, [inp], pool_size=[pool, pool], strides=[stride, stride],
                  padding="valid", data_format="channels_last")


def global_avg_pool(name: str, inp: str) -> Layer:
    return _layer("GlobalAveragePooling2D", name, [inp], data_format="channels_last")


def dense(name: str, inp: str, units: int) -> Layer:
    return _layer("Dense", name, [inp], units=units, activation="linear", use_bias=True,
                  kernel_initializer=ZEROS, bias_initializer=ZEROS)


def functional_model(name: str, layers: list[Layer], inputs: list[str], outputs: list[str]) -> dict:
    return {
        "class_name": "Model",
        "config": {
            "name": name,
            "layers": layers,
            "input_layers": [[i, 0, 0] for i in inputs],
            "output_layers": [[o, 0, 0] for o in outputs],
        },
        "keras_version": "2.13.1",
        "backend": "tensorflow",
    }
