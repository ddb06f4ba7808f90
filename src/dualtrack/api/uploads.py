"""Datasets handed to the API: multipart uploads saved to a private temporary folder, or
server-side files named by path, which must lie under ``<var_dir>/data``.

Shared by the validation and monitoring routes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile

from dualtrack.errors import InvalidInput

DATA_SUFFIXES = frozenset({".csv", ".parquet", ".pq"})
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def data_root(var_dir: Path) -> Path:
    """The only folder whose files the API may read by path."""
    return (Path(var_dir) / "data").resolve()


def server_path(var_dir: Path, raw: str, *, field: str) -> Path:
    """A dataset path named in a request, refused unless it lies under ``<var_dir>/data``."""
    root = data_root(var_dir)
    candidate = Path(raw)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not resolved.is_relative_to(root):
        raise InvalidInput(
            f"{field} must name a file under the server's data folder (<var_dir>/data)",
            field=field,
        )
    if resolved.suffix.lower() not in DATA_SUFFIXES:
        raise InvalidInput(f"{field} must be a .csv or .parquet file", field=field)
    if not resolved.is_file():
        raise InvalidInput(f"{field} names no file in the server's data folder", field=field)
    return resolved


@contextmanager
def upload_folder(var_dir: Path) -> Iterator[Path]:
    """A private temporary folder under ``<var_dir>/uploads``, removed afterwards."""
    parent = Path(var_dir) / "uploads"
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def save_upload(upload: Any, folder: Path, *, field: str) -> Path:
    """Write an uploaded CSV/Parquet file into ``folder`` under a safe name."""
    if not isinstance(upload, UploadFile):
        raise InvalidInput(f"{field} must be an uploaded file", field=field)
    name = _SAFE.sub("_", Path(upload.filename or "data.csv").name).lstrip(".") or "data.csv"
    if Path(name).suffix.lower() not in DATA_SUFFIXES:
        raise InvalidInput(f"{field} must be a .csv or .parquet file", field=field)
    target = folder / f"{field}-{name}"
    with target.open("wb") as handle:
        while block := await upload.read(1 << 20):
            handle.write(block)
    return target


def form_text(form: Any, name: str, *, required: bool = False, limit: int = 2000) -> str | None:
    """A text field of a multipart form (not a file), stripped."""
    value = form.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"form field {name} is required", field=name)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"form field {name} must be text", field=name)
    if len(value) > limit:
        raise InvalidInput(f"form field {name} is too long", field=name)
    return value.strip()


def split_names(value: str | None) -> list[str]:
    """``"sex, age_band"`` -> ``["sex", "age_band"]``."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


__all__ = [
    "DATA_SUFFIXES",
    "data_root",
    "form_text",
    "save_upload",
    "server_path",
    "split_names",
    "upload_folder",
]
