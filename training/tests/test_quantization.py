import numpy as np
import pytest
import torch

from training.export.quantization import choose_weights_dtype
from training.export.weights import (SHARD_BYTES, decode_weight, encode_all, encode_weight, quantize_uint8, roundtrip,
                                     shard)
from training.tests.conftest import tiny_resnet


def test_uint8_round_trip_error_is_at_most_half_a_step() -> None:
    w = np.random.default_rng(0).normal(size=(3, 3, 8, 16)).astype(np.float32)
    e = encode_weight("k/kernel", w, "uint8")
    q = e.spec["quantization"]
    assert q["dtype"] == "uint8" and len(e.data) == w.size
    back = decode_weight(e.spec, e.data)
    assert np.abs(back - w).max() <= q["scale"] / 2 + 1e-6
    assert back.min() == pytest.approx(w.min(), abs=1e-6) and back.max() == pytest.approx(w.max(), abs=1e-5)


def test_dequantization_matches_tfjs_formula() -> None:
    # tfjs-core io_utils.decodeWeight: values[i] = q * scale + min (double), stored as float32.
    w = np.linspace(-1.3, 0.7, 50, dtype=np.float32).reshape(5, 10)
    q, scale, lo = quantize_uint8(w)
    e = encode_weight("d/kernel", w, "uint8")
    expected = np.array([np.float32(float(v) * scale + lo) for v in q.flatten()]).reshape(5, 10)
    assert np.array_equal(decode_weight(e.spec, e.data), expected)


def test_float16_and_float32_and_biases() -> None:
    w = np.random.default_rng(1).normal(size=(4, 4)).astype(np.float32)
    assert np.array_equal(decode_weight(*_pair(encode_weight("a/kernel", w, "float32"))), w)
    f16 = encode_weight("a/kernel", w, "float16")
    assert f16.spec["quantization"] == {"dtype": "float16"} and len(f16.data) == w.size * 2
    assert np.allclose(decode_weight(f16.spec, f16.data), w, rtol=1e-3)
    bias = encode_weight("a/bias", np.ones(4, np.float32), "uint8")
    assert "quantization" not in bias.spec  # biases always float32


def _pair(e):
    return e.spec, e.data


def test_constant_tensor_quantizes_exactly() -> None:
    w = np.full((2, 2), 0.25, np.float32)
    assert np.array_equal(roundtrip({"c/kernel": w}, "uint8")["c/kernel"], w)


def test_shards_are_at_most_2_mib_and_concatenate_to_the_weights() -> None:
    weights = {"big/kernel": np.random.default_rng(2).normal(size=(3, 3, 256, 512)).astype(np.float32),
               "big/bias": np.zeros(512, np.float32)}
    enc = encode_all(weights, "float32")
    manifest, chunks = shard(enc)
    assert all(len(c) <= SHARD_BYTES for c in chunks) and len(chunks) == len(manifest[0]["paths"]) == 3
    assert b"".join(chunks) == b"".join(e.data for e in enc)
    assert manifest[0]["paths"][0] == "group1-shard1of3.bin"


def test_quantization_choice_follows_the_auc_rule() -> None:
    model = tiny_resnet()
    images = torch.randint(0, 256, (12, 3, 32, 32), dtype=torch.uint8)
    labels = np.array([0, 1, 2] * 4)
    dtype, rec = choose_weights_dtype(model, images, labels)
    assert dtype == ("uint8" if rec["uint8AucDrop"] <= 0.005 else "float16")
    dtype, rec = choose_weights_dtype(model, images, labels, max_drop=-1.0)  # impossible to meet
    assert dtype == "float16" and "float16" in rec["validationMacroAuc"]
