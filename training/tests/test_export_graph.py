"""Exporter correctness in Python: BN folding, padding, naming, and the graph vs PyTorch."""

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from training.export.graph_runner import GraphRunner
from training.export.resnet_graph import fold_batchnorm, resnet_to_graph, tf_same_is_symmetric, topology
from training.tests.conftest import randomize_batchnorm, tiny_resnet


def test_batchnorm_folding_is_exact() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(5, 7, 3, stride=2, padding=1, bias=False).double()
    bn = nn.BatchNorm2d(7).double()
    randomize_batchnorm(bn, 1)
    bn.double()
    x = torch.randn(2, 5, 17, 17, dtype=torch.float64)
    ref = bn(conv(x))
    w, b = fold_batchnorm(conv, bn)  # float32 result of a float64 computation
    out = torch.nn.functional.conv2d(x, torch.from_numpy(w).double(), torch.from_numpy(b).double(), stride=2, padding=1)
    # Only the final float32 rounding separates the two.
    assert torch.allclose(out, ref, rtol=1e-6, atol=1e-6)


def test_folding_keeps_a_conv_bias() -> None:
    conv = nn.Conv2d(3, 4, 1, bias=True)
    bn = randomize_batchnorm(nn.BatchNorm2d(4), 2)
    x = torch.randn(1, 3, 5, 5)
    w, b = fold_batchnorm(conv, bn)
    out = torch.nn.functional.conv2d(x, torch.from_numpy(w), torch.from_numpy(b))
    assert torch.allclose(out, bn(conv(x)), atol=1e-5)


def test_same_padding_only_where_tf_pads_symmetrically() -> None:
    assert tf_same_is_symmetric(3, 1, 1)
    assert not tf_same_is_symmetric(3, 2, 1)  # TF would pad 0 top / 1 bottom on even inputs
    assert not tf_same_is_symmetric(7, 2, 3)


@pytest.mark.parametrize("block", ["basic", "bottleneck"])
@pytest.mark.parametrize("size", [64, 63])
def test_graph_matches_pytorch(block: str, size: int) -> None:
    model = tiny_resnet(block)
    g = resnet_to_graph(model, (size, size))
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        ref = model(x)
    out = GraphRunner(topology(g), g.weights).logits(x)
    assert torch.allclose(out, ref, rtol=1e-4, atol=1e-5)


def test_layer_names_follow_pytorch_modules() -> None:
    g = resnet_to_graph(torchvision.models.resnet18(num_classes=3).eval())
    names = [layer["name"] for layer in g.layers]
    assert len(names) == len(set(names))
    for n in ("conv1", "maxpool", "layer2_0_conv1", "layer2_0_downsample_0", "layer4_1_out", "avgpool", "fc"):
        assert n in names
    assert g.gradcam_layer == "layer4_1_out"
    assert names[0] == "input" and g.layers[0]["config"]["batch_input_shape"] == [None, 224, 224, 3]
    # Stride-2 3×3 convs get explicit symmetric padding; stride-1 ones use "same".
    by_name = {layer["name"]: layer for layer in g.layers}
    assert by_name["layer2_0_conv1"]["config"]["padding"] == "valid" and "layer2_0_conv1_pad" in by_name
    assert by_name["layer1_0_conv1"]["config"]["padding"] == "same"
    assert g.weights["conv1/kernel"].shape == (7, 7, 3, 64)
    assert g.weights["fc/kernel"].shape == (512, 3)
    classes = {layer["class_name"] for layer in g.layers}
    assert classes <= {"InputLayer", "ZeroPadding2D", "Conv2D", "Activation", "Add", "MaxPooling2D",
                       "GlobalAveragePooling2D", "Dense"}


def test_resnet50_gradcam_layer() -> None:
    g = resnet_to_graph(torchvision.models.resnet50(num_classes=3).eval(), (64, 64))
    assert g.gradcam_layer == "layer4_2_out"
    assert np.isfinite(next(iter(g.weights.values()))).all()
