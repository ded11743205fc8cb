"""TF.js weights manifest: encoding (float32 / float16 / uint8-affine), dequantization, shards.

Dequantization must give the very numbers tfjs-core computes when it loads the pack
(io_utils.decodeWeight: `values[i] = q * scale + min`, evaluated in double precision and
stored to a Float32Array), so that golden logits computed here are reproducible in the app.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SHARD_BYTES = 2 * 1024 * 1024  # service-worker precache limit per file
DTYPES = ("float32", "float16", "uint8")


@dataclass
class EncodedWeight:
    spec: dict  # one weightsManifest entry
    data: bytes


def quantize_uint8(w: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Affine per-tensor: q = round((w − min) / scale), scale = (max − min) / 255."""
    lo, hi = float(w.min()), float(w.max())
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    q = np.clip(np.round((w.astype(np.float64) - lo) / scale), 0, 255).astype(np.uint8)
    return q, scale, lo


def encode_weight(name: str, w: np.ndarray, dtype: str) -> EncodedWeight:
    """Biases (1-D) always stay float32: they cost ~0.3% of the bytes and carry BN's shift."""
    spec: dict = {"name": name, "shape": list(w.shape), "dtype": "float32"}
    w = np.ascontiguousarray(w, dtype=np.float32)
    if dtype == "float32" or w.ndim == 1:
        return EncodedWeight(spec, w.astype("<f4").tobytes())
    if dtype == "float16":
        spec["quantization"] = {"dtype": "float16"}
        return EncodedWeight(spec, w.astype("<f2").tobytes())
    if dtype == "uint8":
        q, scale, lo = quantize_uint8(w)
        spec["quantization"] = {"dtype": "uint8", "scale": scale, "min": lo}
        return EncodedWeight(spec, q.tobytes())
    raise ValueError(f"weight dtype {dtype!r} not one of {DTYPES}")


def decode_weight(spec: dict, data: bytes) -> np.ndarray:
    """Exactly what tfjs-core's decodeWeight yields, as a float32 array of `spec['shape']`."""
    q = spec.get("quantization")
    shape = spec["shape"]
    if q is None:
        return np.frombuffer(data, dtype="<f4").reshape(shape).copy()
    if q["dtype"] == "float16":
        return np.frombuffer(data, dtype="<f2").astype(np.float32).reshape(shape)
    if q["dtype"] == "uint8":
        v = np.frombuffer(data, dtype=np.uint8).astype(np.float64) * q["scale"] + q["min"]
        return v.astype(np.float32).reshape(shape)
    raise ValueError(f"unknown quantization {q}")


def encode_all(weights: dict[str, np.ndarray], dtype: str) -> list[EncodedWeight]:
    return [encode_weight(n, w, dtype) for n, w in weights.items()]


def roundtrip(weights: dict[str, np.ndarray], dtype: str) -> dict[str, np.ndarray]:
    """The weights as the app will see them after loading a pack written with `dtype`."""
    return {e.spec["name"]: decode_weight(e.spec, e.data) for e in encode_all(weights, dtype)}


def shard(encoded: list[EncodedWeight], shard_bytes: int = SHARD_BYTES) -> tuple[list[dict], list[bytes]]:
    """One weights group; the concatenated bytes are cut into files of at most `shard_bytes`
    (TF.js concatenates a group's shards before decoding, so cuts may fall inside a tensor)."""
    blob = b"".join(e.data for e in encoded)
    chunks = [blob[i : i + shard_bytes] for i in range(0, len(blob), shard_bytes)] or [b""]
    paths = [f"group1-shard{i + 1}of{len(chunks)}.bin" for i in range(len(chunks))]
    manifest = [{"paths": paths, "weights": [e.spec for e in encoded]}]
    return manifest, chunks
