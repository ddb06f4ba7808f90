"""Column-aware transformation of CSV and Parquet tables, in bounded memory.

A cell such as ``91234567`` carries no context of its own, so scanning it alone misses the
phone number that its column header (``contact_phone``) makes obvious. Here every cell is
scanned as ``"<header>: <value>"``: the header is the context the recognizers look for, and
their validators (check digits, number plans) still decide. Only findings inside the value
are transformed.

Columns are chosen explicitly (``["hkid", "phone:HK_PHONE"]``) or automatically (``"auto"``:
the string columns where at least 10% of the first chunk's non-empty cells hold a finding).
A column given as ``name:TYPE`` is *typed*: every non-empty cell is transformed whole as that
entity type, whether or not a recognizer confirms it, which is the safe choice for a column
known to hold one kind of identifier.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow as pa

from dualtrack.errors import InvalidInput
from dualtrack.privacy.domain import EntityType, Finding, RedactionMode
from dualtrack.privacy.errors import UndecodableInput
from dualtrack.privacy.guard import PrivacyGuard
from dualtrack.privacy.service import _read_batches, _TableWriter
from dualtrack.privacy.transform import Encryptor, Pseudonymiser, apply_findings, transform_value

logger = logging.getLogger(__name__)

AUTO_MIN_SHARE = 0.1
AUTO_SAMPLE = 500
TABLE_SUFFIXES = (".csv", ".parquet")
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """A column to transform; ``entity_type`` set means every cell is that type."""

    name: str
    entity_type: str | None = None

    @classmethod
    def parse(cls, text: str) -> ColumnSpec:
        """``"phone"`` or ``"phone:HK_PHONE"`` (the type must be a known entity type)."""
        name, _, kind = text.strip().partition(":")
        if not name:
            raise InvalidInput("empty column name")
        if not kind:
            return cls(name)
        kind = kind.strip().upper()
        if kind not in EntityType.__members__:
            raise InvalidInput(
                "unknown entity type for a column", column=name, known=sorted(EntityType)
            )
        return cls(name, kind)

    def describe(self) -> str:
        return f"{self.name}:{self.entity_type}" if self.entity_type else self.name


@dataclass(frozen=True, slots=True)
class TableRun:
    """Outcome of one table transformation (counts only, no personal data)."""

    rows: int
    chunks: int
    columns: tuple[str, ...]
    values_changed: int
    entity_counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "chunks": self.chunks,
            "columns": list(self.columns),
            "values_changed": self.values_changed,
            "entity_counts": dict(sorted(self.entity_counts.items())),
        }


def _context(header: str) -> str:
    return header.replace("_", " ").replace("-", " ") + ": "


class _ColumnScanner:
    def __init__(self, guard: PrivacyGuard) -> None:
        self._guard = guard

    def findings(self, header: str, value: str) -> list[Finding]:
        prefix = _context(header)
        skip = len(prefix)
        return [f.shifted(-skip) for f in self._guard.detect(prefix + value) if f.start >= skip]


def choose_columns(guard: PrivacyGuard, frame: pl.DataFrame) -> tuple[ColumnSpec, ...]:
    """String columns where enough sampled cells hold a finding (header used as context)."""
    scanner = _ColumnScanner(guard)
    picked: list[ColumnSpec] = []
    for name in frame.columns:
        if frame.schema[name] not in (pl.String, pl.Utf8):
            continue
        values = [v for v in frame[name].head(AUTO_SAMPLE).to_list() if v]
        if not values:
            continue
        hits = sum(1 for v in values if scanner.findings(name, v))
        if hits / len(values) >= AUTO_MIN_SHARE:
            picked.append(ColumnSpec(name))
    return tuple(picked)


def transform_table(
    guard: PrivacyGuard,
    in_path: Path,
    out_path: Path,
    *,
    columns: Sequence[ColumnSpec] | Literal["auto"],
    mode: RedactionMode,
    pseudonymiser: Pseudonymiser | None,
    encryptor: Encryptor | None,
    chunk_rows: int = 50_000,
    progress: ProgressCallback | None = None,
) -> TableRun:
    """Write ``in_path`` with PII in the chosen columns transformed to ``out_path``.

    Both paths are ``.csv`` or ``.parquet`` (formats may differ). Reads and writes record
    batches, so memory follows ``chunk_rows``, not the file size.
    """
    if in_path.suffix.lower() not in TABLE_SUFFIXES:
        raise InvalidInput("tables must be .csv or .parquet", suffix=in_path.suffix)
    if out_path.suffix.lower() not in TABLE_SUFFIXES:
        raise InvalidInput("tables must be written as .csv or .parquet", suffix=out_path.suffix)
    scanner = _ColumnScanner(guard)
    chosen: tuple[ColumnSpec, ...] | None = None if columns == "auto" else tuple(columns)
    writer: _TableWriter | None = None
    rows = chunks = changed = 0
    counts: dict[str, int] = {}
    try:
        for batch in _batches(in_path, chunk_rows):
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            if chosen is None:
                chosen = choose_columns(guard, frame)
            missing = [c.name for c in chosen if c.name not in frame.columns]
            if missing:
                raise InvalidInput("columns not in table", columns=missing)
            replacements = []
            for spec in chosen:
                series, n_changed = _transform_column(
                    scanner, frame[spec.name], spec, mode, pseudonymiser, encryptor, counts
                )
                replacements.append(series)
                changed += n_changed
            frame = frame.with_columns(replacements)
            table = frame.to_arrow()
            if writer is None:
                writer = _TableWriter(out_path, table.schema)
            writer.write(table)
            rows += frame.height
            chunks += 1
            if progress is not None:
                progress(rows)
        if writer is None:  # an empty table: still write its header
            raise InvalidInput("the table has no rows")
    finally:
        if writer is not None:
            writer.close()
    logger.info("table transformed: %s rows in %s chunks", rows, chunks)
    return TableRun(rows, chunks, tuple(c.describe() for c in chosen or ()), changed, counts)


def scan_table(
    guard: PrivacyGuard,
    path: Path,
    *,
    chunk_rows: int = 50_000,
    progress: ProgressCallback | None = None,
) -> tuple[int, dict[str, dict[str, int]]]:
    """``(rows, {column: {entity type: cells}})`` for every string column of a table."""
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise InvalidInput("tables must be .csv or .parquet", suffix=path.suffix)
    scanner = _ColumnScanner(guard)
    rows = 0
    counts: dict[str, dict[str, int]] = {}
    for batch in _batches(path, chunk_rows):
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        for name in frame.columns:
            if frame.schema[name] not in (pl.String, pl.Utf8):
                continue
            column = counts.setdefault(name, {})
            for value in frame[name].to_list():
                if not value:
                    continue
                for kind in {str(f.entity_type) for f in scanner.findings(name, value)}:
                    column[kind] = column.get(kind, 0) + 1
        rows += frame.height
        if progress is not None:
            progress(rows)
    return rows, {k: dict(sorted(v.items())) for k, v in counts.items() if v}


def _batches(path: Path, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches, with reader failures turned into errors that echo no content."""
    if path.suffix.lower() == ".csv":
        with path.open("rb") as handle:
            if b"\x00" in handle.read(1 << 16):
                raise UndecodableInput("the table looks binary (NUL bytes)")
    iterator = _read_batches(path, chunk_rows)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise UndecodableInput("the table is not valid UTF-8") from None
        except (pa.ArrowException, OSError) as exc:
            # Arrow's messages can quote the offending row; never pass them on.
            if "utf8" in str(exc).lower().replace("-", ""):
                raise UndecodableInput("the table is not valid UTF-8") from None
            raise InvalidInput("the table could not be read", reason=type(exc).__name__) from None
        yield batch


def _transform_column(
    scanner: _ColumnScanner,
    column: pl.Series,
    spec: ColumnSpec,
    mode: RedactionMode,
    pseudonymiser: Pseudonymiser | None,
    encryptor: Encryptor | None,
    counts: dict[str, int],
) -> tuple[pl.Series, int]:
    cache: dict[str, tuple[str, tuple[str, ...]]] = {}
    out: list[str | None] = []
    changed = 0
    for value in column.cast(pl.String).to_list():
        if value is None or value == "":
            out.append(value)
            continue
        if value not in cache:
            if spec.entity_type is not None:
                new = transform_value(
                    value,
                    spec.entity_type,
                    mode,
                    pseudonymiser=pseudonymiser,
                    encryptor=encryptor,
                )
                cache[value] = (new, (spec.entity_type,))
            else:
                found = scanner.findings(spec.name, value)
                new = apply_findings(
                    value, found, mode, pseudonymiser=pseudonymiser, encryptor=encryptor
                )
                cache[value] = (new, tuple(str(f.entity_type) for f in found))
        new, types = cache[value]
        for kind in types:
            counts[kind] = counts.get(kind, 0) + 1
        changed += new != value
        out.append(new)
    return pl.Series(spec.name, out, dtype=pl.String), changed


__all__ = ["ColumnSpec", "TableRun", "choose_columns", "scan_table", "transform_table"]
