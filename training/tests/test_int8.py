"""Int8 compute (training/export/int8.py): the emulation of the app's int8 kernels that decides,
per modality, whether a pack allows int8 (docs/model-pack.md, `int8Compute`)."""

import numpy as np
import torch
import torch.nn.functional as F

from training.export.graph_runner import GraphRunner
from training.export.int8 import (Int8Runner, calibrate, f32, int8_layers, integer_conv, quantize_activation,
                                  quantize_weight, run_logits)
from training.export.resnet_graph import resnet_to_graph, topology
from training.tests.conftest import tiny_resnet


def _graph():
    g = resnet_to_graph(tiny_resnet().eval(), (32, 32))
    return topology(g), g.weights


def test_integer_conv_is_exact_at_the_largest_products() -> None:
    g = torch.Generator().manual_seed(0)
    for cin, k, stride in [(64, 3, 1), (512, 3, 1), (256, 1, 2)]:
        x = torch.randint(0, 128, (2, cin, 9, 9), generator=g).float()
        w = torch.randint(-127, 128, (16, cin, k, k), generator=g).double()
        x[0, :, 0, 0] = 127  # worst case: every product at 127 · ±127
        w[0] = 127
        exact = F.conv2d(x.double(), w, stride=stride)
        assert torch.equal(integer_conv(x, w, (stride, stride)), exact)


def test_quantization_rounds_half_to_even_and_clamps_to_7_bits() -> None:
    scale = 0.5  # inv = 2: x·2 lands exactly on halves
    x = torch.tensor([0.0, 0.25, 0.75, 1.25, 63.0, 64.0, 1e9, -3.0])
    assert quantize_activation(x, scale).tolist() == [0, 0, 2, 2, 126, 127, 127, 0]
    w = torch.zeros(2, 1, 1, 3)
    w[0, 0, 0] = torch.tensor([1.0, -0.5, 0.25])
    q, s = quantize_weight(w)
    assert s[0].item() == np.float32(1.0) / np.float32(127.0) and s[1].item() == 0  # all-zero channel: scale 0
    assert q[0, 0, 0].tolist() == [127, -64, 32] and q[1].abs().sum() == 0  # 63.5 → 64 (even), 31.75 → 32


def test_the_stem_stays_float_and_every_other_convolution_is_int8() -> None:
    topo, _ = _graph()
    convs = [ly["name"] for ly in topo["config"]["layers"] if ly["class_name"] == "Conv2D"]
    assert int8_layers(topo) == convs[1:]


def test_scales_are_float32_and_int8_logits_stay_close_to_float() -> None:
    topo, weights = _graph()
    x = torch.randn(8, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    scales = calibrate(topo, weights, x, 99.99)
    assert set(scales) == set(int8_layers(topo))
    assert all(v > 0 and f32(v) == v for v in scales.values())
    full = calibrate(topo, weights, x, 100.0)
    assert all(full[n] >= scales[n] for n in scales)  # the maximum clips nothing
    f = run_logits(topo, weights, x, None)
    q = run_logits(topo, weights, x, scales)
    assert np.allclose(f, GraphRunner(topo, weights).logits(x).numpy(), atol=1e-6)
    assert 0 < np.abs(q - f).max() < 0.1 * np.abs(f).max()


def test_one_layer_follows_the_documented_arithmetic() -> None:
    # y = f32(f32(f32(acc) · f32(s_x · s_w)) + bias), acc = Σ x_q · w_q, recomputed in numpy from the
    # layer's recorded (padded) input and compared with what the runner gives for that layer.
    topo, weights = _graph()
    name = int8_layers(topo)[0]
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    recorder = Int8Runner(topo, weights, None)
    recorder(x.permute(0, 2, 3, 1))
    inp = recorder.recorded[name][0].numpy()  # after "same" padding, NCHW
    s_x = f32(float(np.percentile(inp, 99)) / 127)
    got = Int8Runner(topo, weights, {name: s_x})(x.permute(0, 2, 3, 1), (name,))[name].permute(0, 3, 1, 2).numpy()
    kernel = recorder.params[f"{name}/kernel"].numpy()
    bias = recorder.params[f"{name}/bias"].numpy()
    xq = np.clip(np.rint(inp * np.float32(1 / s_x)), 0, 127)
    sw = (np.abs(kernel).max(axis=(1, 2, 3)) / np.float32(127)).astype(np.float32)
    wq = np.clip(np.rint(kernel / sw[:, None, None, None]), -127, 127)
    acc = F.conv2d(torch.from_numpy(xq).double(), torch.from_numpy(wq).double()).numpy()
    c = (np.float32(s_x) * sw).astype(np.float32)
    want = (acc.astype(np.float32) * c[None, :, None, None]).astype(np.float32) + bias[None, :, None, None]
    assert got.shape == want.shape and np.array_equal(got, want)


def test_the_card_section_is_replaced_not_repeated() -> None:
    from training.int8_run import card_section, with_card_section

    bmode: dict = {"allowed": True, "layers": ["a", "b"], "calibration": {"percentile": 99.99, "images": 10},
                   "test": {"images": 12, "macroAucFloat32": 0.9, "macroAucInt8": 0.899, "aucChange": -0.001,
                            "top1Agreement": 0.98, "maxAbsLogitDiff": 0.2}}
    results = {"pack": "p", "maxAucChange": 0.005, "data": "test images", "modalities": {"bmode": bmode}}
    card = "# Card\n\n## Weight quantization\n\nx\n\n## Timings (this build)\n\ny\n"
    once = with_card_section(card, card_section(results))
    assert once.index("## Weight quantization") < once.index("## Int8 compute") < once.index("## Timings")
    assert "| bmode | yes | 0.9000 | 0.8990 | -0.00100 |" in once
    bmode["allowed"] = False
    twice = with_card_section(once, card_section(results))
    assert twice.count("## Int8 compute") == 1 and "| bmode | no |" in twice and twice.endswith("y\n")
