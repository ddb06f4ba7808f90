"""LightGBM models compiled to native code (lleaves), for batch scoring of large models.

LightGBM's ``predict`` walks every tree as data, which is what limits batch scoring of big
models: the 1,602-tree ULB seed bag scores 10-15k rows/s on this project's 2-core
machine. `lleaves <https://github.com/siboehm/lleaves>`_ turns the same ``model.txt`` into
machine code with LLVM; the compiled forest gives the same probabilities (measured: within
2e-15) several times faster.

* :func:`compile_model` compiles an artifact once and keeps the shared library in a cache
  directory, named by the artifact's sha256 and the compiler versions. Compilation is
  done with inlining off: for a 1,600-tree model LLVM's inliner took minutes (about 250 s
  here) for about a third more speed; without it compilation takes seconds.
* :func:`load_compiled` returns a :class:`CompiledModel` only if that library exists, has
  the sha256 recorded when it was written (LLVM aborts the process on a malformed object
  file, so nothing else is handed to it) *and* agrees with LightGBM on a fixed set of probe
  rows (to 1e-9), so a stale, foreign or damaged library is never used: scoring then falls
  back to LightGBM.

The library is native code loaded into the process: the cache directory must be as
trusted as the models directory (both live under ``DUALTRACK_VAR_DIR``). lleaves comes from
the lock file; an installation without it (or without a compiled library) scores with
LightGBM.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from dualtrack.fraud.errors import ModelArtifactError
from dualtrack.fraud.model import ModelArtifact

logger = logging.getLogger(__name__)

#: How far the compiled forest may stray from LightGBM on the probe rows.
TOLERANCE = 1e-9
_PROBE_ROWS = 512
_PROBE_TREES = 200


def available() -> bool:
    """Whether the optional compiler (lleaves) is installed."""
    try:
        import lleaves  # noqa: F401
    except ImportError:
        return False
    return True


def _versions() -> str:
    parts = []
    for name in ("lleaves", "llvmlite"):
        try:
            parts.append(f"{name}{importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - checked above
            parts.append(f"{name}-unknown")
    return "-".join(parts)


def library_path(artifact: ModelArtifact, cache_dir: Path) -> Path:
    """Where the compiled library of ``artifact`` is kept."""
    return cache_dir / f"{artifact.artifact_sha256}-{_versions()}.so"


@dataclass(frozen=True, slots=True)
class CompiledModel:
    """A compiled forest with ``predict`` like ``Booster.predict`` (probabilities)."""

    path: Path
    _model: Any

    def predict(self, x: npt.NDArray[np.float64], *, threads: int = 0) -> npt.NDArray[np.float64]:
        """Probabilities for the rows of ``x``; ``threads`` 0 means all cores."""
        rows = np.ascontiguousarray(x, dtype=np.float64)
        jobs = threads if threads > 0 else (os.cpu_count() or 1)
        return np.asarray(self._model.predict(rows, n_jobs=jobs), dtype=np.float64)


def _model_file(booster: lgb.Booster, directory: Path) -> Path:
    """The model as LightGBM itself writes it: lleaves needs the ``tree_sizes`` header,
    which a merged seed bag's text (``fraud.ensemble.merge_models``) does not carry; the
    round trip keeps every value (LightGBM writes doubles in full)."""
    path = directory / "model.txt"
    path.write_text(booster.model_to_string(), encoding="utf-8")
    return path


def compile_model(artifact: ModelArtifact, cache_dir: Path) -> Path:
    """Compile ``artifact`` into ``cache_dir`` (no-op if already there); return the path.

    The library is written under a temporary name and renamed into place, so a reader
    never sees half a file."""
    if not available():
        raise ModelArtifactError(
            "compiling models needs the optional lleaves package (it is in requirements.lock)"
        )
    import lleaves

    target = library_path(artifact, cache_dir)
    if _intact(target):
        return target  # a library without its digest (or not matching it) is replaced
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as scratch:
        model = lleaves.Model(model_file=str(_model_file(artifact.booster(), Path(scratch))))
        partial = Path(scratch) / "forest.so"
        model.compile(cache=str(partial), finline=False, fblocksize=8)
        digest = Path(scratch) / "forest.sha256"
        digest.write_text(_sha256(partial), encoding="ascii")
        os.replace(digest, _digest_path(target))
        os.replace(partial, target)
    return target


def is_compiled(artifact: ModelArtifact, cache_dir: Path) -> bool:
    """Whether ``cache_dir`` holds an intact compiled library of ``artifact``."""
    return _intact(library_path(artifact, cache_dir))


def _intact(library: Path) -> bool:
    """Whether ``library`` exists with the sha256 recorded when it was written."""
    digest = _digest_path(library)
    if not library.exists() or not digest.exists():
        return False
    return digest.read_text(encoding="ascii").strip() == _sha256(library)


def _digest_path(library: Path) -> Path:
    return library.with_name(library.name + ".sha256")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_compiled(artifact: ModelArtifact, cache_dir: Path) -> CompiledModel | None:
    """The compiled model of ``artifact`` if it was compiled and agrees with LightGBM."""
    target = library_path(artifact, cache_dir)
    if not target.exists() or not available():  # the common case imports nothing heavy
        return None
    # LLVM aborts the whole process on a malformed object file, so only the exact bytes
    # written by compile_model are handed to it
    if not _intact(target):
        logger.warning("compiled model %s does not match its digest; using LightGBM", target.name)
        return None
    import lleaves

    booster = artifact.booster()  # built once: the model file and the probe both need it
    with tempfile.TemporaryDirectory() as scratch:
        model = lleaves.Model(model_file=str(_model_file(booster, Path(scratch))))
        try:
            model.compile(cache=str(target))  # loads the existing library
        except Exception:  # a damaged library must not stop scoring
            logger.warning("compiled model %s could not be loaded; using LightGBM", target.name)
            return None
    compiled = CompiledModel(target, model)
    probe = probe_rows(booster)
    expected = booster.predict(probe, num_threads=1)
    got = compiled.predict(probe, threads=1)
    if not np.allclose(got, expected, rtol=0.0, atol=TOLERANCE):
        logger.warning("compiled model %s disagrees with LightGBM; using LightGBM", target.name)
        return None
    return compiled


def probe_rows(booster: lgb.Booster) -> npt.NDArray[np.float64]:
    """Fixed rows that reach many leaves: the model's own split thresholds (from its first
    :data:`_PROBE_TREES` trees), each feature drawn from its thresholds (and just beyond
    both ends) with a fixed seed."""
    n_features = booster.num_feature()
    dump = booster.dump_model(num_iteration=min(_PROBE_TREES, booster.num_trees()))
    cuts: dict[int, list[float]] = {j: [] for j in range(n_features)}

    def walk(node: dict[str, Any]) -> None:
        if "split_feature" in node:
            threshold = node.get("threshold")
            if isinstance(threshold, int | float):
                cuts[int(node["split_feature"])].append(float(threshold))
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in dump["tree_info"]:
        walk(tree["tree_structure"])
    rng = np.random.default_rng(20261203)
    x = np.zeros((_PROBE_ROWS, n_features), dtype=np.float64)
    for j in range(n_features):
        values = np.asarray(cuts[j] or [0.0], dtype=np.float64)
        spread = np.concatenate(
            [values - 1e-6, values + 1e-6, [values.min() - 1, values.max() + 1]]
        )
        x[:, j] = rng.choice(spread, size=_PROBE_ROWS)
    return x


__all__ = [
    "TOLERANCE",
    "CompiledModel",
    "available",
    "compile_model",
    "is_compiled",
    "library_path",
    "load_compiled",
    "probe_rows",
]
