"""Use cases of the privacy guard: scan, redact, pseudonymise tables, apply policies, re-identify.

Keys come in from configuration. A missing key raises :class:`MissingKey` at the first use
that needs it (scanning and type-tag redaction work without keys); plaintext is never the
fallback. Re-identification is allowed only for roles in ``reidentify_roles`` and is written
to the audit ledger *before* the plaintext is returned; the audit payload carries the token
and the reason, never the plaintext.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dualtrack.errors import InvalidInput
from dualtrack.ledger.ports import AuditSink
from dualtrack.privacy.domain import Finding, PrivacyPolicy, RedactionMode
from dualtrack.privacy.errors import MissingKey, ReidentificationNotAllowed
from dualtrack.privacy.guard import PrivacyGuard
from dualtrack.privacy.policy import apply_policy
from dualtrack.privacy.streaming import (
    DEFAULT_OVERLAP,
    DEFAULT_WINDOW,
    DecodeErrors,
    decode_bytes,
    iter_decoded,
    iter_segments,
    read_csv_header,
)
from dualtrack.privacy.transform import Encryptor, Pseudonymiser, apply_findings

logger = logging.getLogger(__name__)

DEFAULT_REIDENTIFY_ROLES: frozenset[str] = frozenset({"compliance_officer"})
ProgressCallback = Callable[[int], None]
_AUTO_MIN_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class TableReport:
    """Outcome of a table run (no personal data)."""

    rows: int
    chunks: int
    columns: tuple[str, ...]
    values_changed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "chunks": self.chunks,
            "columns": list(self.columns),
            "values_changed": self.values_changed,
        }


class PrivacyService:
    """The privacy guard's use cases, shared by the API, CLI, dashboard and AI systems."""

    def __init__(
        self,
        guard: PrivacyGuard,
        *,
        audit: AuditSink,
        pseudonym_key: bytes | None = None,
        encryption_key: bytes | None = None,
        reidentify_roles: Iterable[str] = DEFAULT_REIDENTIFY_ROLES,
    ) -> None:
        self.guard = guard
        self._audit = audit
        self._pseudonymiser = Pseudonymiser(pseudonym_key) if pseudonym_key else None
        self._encryptor = Encryptor(encryption_key) if encryption_key else None
        self.reidentify_roles = frozenset(reidentify_roles)

    def __repr__(self) -> str:
        return f"PrivacyService(profile={self.guard.profile!r}, keys=<hidden>)"

    # ------------------------------------------------------------------ text

    def scan_text(self, text: str | bytes, *, errors: DecodeErrors = "strict") -> list[Finding]:
        """Findings in ``text`` (bytes are decoded as UTF-8, see ``streaming``)."""
        return self.guard.detect(self._as_text(text, errors))

    def redact_text(
        self,
        text: str | bytes,
        mode: RedactionMode = "replace",
        *,
        errors: DecodeErrors = "strict",
        mask_keep: int = 0,
    ) -> str:
        """``text`` with every finding transformed by ``mode``."""
        value = self._as_text(text, errors)
        self._check_mode(mode)
        findings = self.guard.detect(value)
        return self._apply(value, findings, mode, mask_keep)

    def redact_stream(
        self,
        chunks: Iterable[str],
        mode: RedactionMode = "replace",
        *,
        window: int = DEFAULT_WINDOW,
        overlap: int = DEFAULT_OVERLAP,
    ) -> Iterator[str]:
        """Redact a text arriving in chunks; yields redacted pieces in order."""
        self._check_mode(mode)
        for segment, found in iter_segments(
            self.guard.detect, chunks, window=window, overlap=overlap
        ):
            yield self._apply(segment, found, mode, 0)

    def redact_file(
        self,
        in_path: str | Path,
        out_path: str | Path,
        mode: RedactionMode = "replace",
        *,
        errors: DecodeErrors = "strict",
        progress: ProgressCallback | None = None,
    ) -> int:
        """Redact a UTF-8 text file of any size in bounded memory; returns characters read."""
        total = 0
        with Path(in_path).open("rb") as source, Path(out_path).open("w", encoding="utf-8") as sink:
            for piece in self.redact_stream(iter_decoded(source, errors=errors), mode):
                sink.write(piece)
                total += len(piece)
                if progress is not None:
                    progress(total)
        return total

    # ------------------------------------------------------------------ records

    def redact_record(self, record: Any, mode: RedactionMode = "replace") -> Any:
        """A copy of a nested JSON-like value with every string redacted."""
        self._check_mode(mode)
        if isinstance(record, Mapping):
            return {k: self.redact_record(v, mode) for k, v in record.items()}
        if isinstance(record, list):
            return [self.redact_record(v, mode) for v in record]
        if isinstance(record, str):
            return self._apply(record, self.guard.detect(record), mode, 0)
        return record

    def apply_policy(self, record: Mapping[str, Any], policy: PrivacyPolicy) -> dict[str, Any]:
        """What of ``record`` may reach the model of ``policy.system_id``."""
        return apply_policy(
            record,
            policy,
            guard=self.guard,
            pseudonymiser=self._pseudonymiser,
            encryptor=self._encryptor,
        )

    # ------------------------------------------------------------------ tables

    def pseudonymise_table(
        self,
        in_path: str | Path,
        out_path: str | Path,
        *,
        columns: Sequence[str] | Literal["auto"] = "auto",
        mode: RedactionMode = "pseudonymise",
        chunk_rows: int = 50_000,
        progress: ProgressCallback | None = None,
    ) -> TableReport:
        """Transform PII in the chosen columns of a CSV or Parquet file, chunk by chunk.

        Every finding inside a cell is replaced (a cell that is entirely an HKID becomes its
        token). ``columns="auto"`` picks the string columns where at least 10% of the first
        chunk's non-empty values contain a finding. Output format follows ``out_path``'s
        suffix (``.csv`` or ``.parquet``).
        """
        self._check_mode(mode)
        source, target = Path(in_path), Path(out_path)
        batches = _read_batches(source, chunk_rows)
        chosen: tuple[str, ...] | None = None if columns == "auto" else tuple(columns)
        writer: _TableWriter | None = None
        rows = chunks = changed = 0
        try:
            for batch in batches:
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                if chosen is None:
                    chosen = self._auto_columns(frame)
                missing = [c for c in chosen if c not in frame.columns]
                if missing:
                    raise InvalidInput("columns not in table", columns=missing)
                frame, n_changed = self._transform_frame(frame, chosen, mode)
                if writer is None:
                    writer = _TableWriter(target, frame.to_arrow().schema)
                writer.write(frame.to_arrow())
                rows += frame.height
                chunks += 1
                changed += n_changed
                if progress is not None:
                    progress(rows)
        finally:
            if writer is not None:
                writer.close()
        report = TableReport(rows, chunks, chosen or (), changed)
        self._audit.record(
            actor="privacy-service",
            action="privacy.table_transformed",
            subject_type="table",
            subject_id=target.name,
            payload={"mode": mode, **report.to_dict()},
        )
        logger.info("table transformed: %s rows in %s chunks", rows, chunks)
        return report

    def _auto_columns(self, frame: pl.DataFrame) -> tuple[str, ...]:
        picked: list[str] = []
        for name in frame.columns:
            if frame.schema[name] not in (pl.String, pl.Utf8):
                continue
            values = [v for v in frame[name].head(500).to_list() if v]
            if not values:
                continue
            hits = sum(1 for v in values if self.guard.detect(v))
            if hits / len(values) >= _AUTO_MIN_SHARE:
                picked.append(name)
        return tuple(picked)

    def _transform_frame(
        self, frame: pl.DataFrame, columns: Sequence[str], mode: RedactionMode
    ) -> tuple[pl.DataFrame, int]:
        changed = 0
        replacements: list[pl.Series] = []
        for name in columns:
            values = frame[name].cast(pl.String).to_list()
            cache: dict[str, str] = {}
            out: list[str | None] = []
            for value in values:
                if value is None or value == "":
                    out.append(value)
                    continue
                if value not in cache:
                    cache[value] = self._apply(value, self.guard.detect(value), mode, 0)
                new = cache[value]
                changed += new != value
                out.append(new)
            replacements.append(pl.Series(name, out, dtype=pl.String))
        return frame.with_columns(replacements), changed

    # ------------------------------------------------------------------ re-identification

    def reidentify(self, token: str, *, actor: str, role: str, reason: str) -> str:
        """Decrypt an ``enc:`` token for an authorised role, auditing the request first."""
        if role not in self.reidentify_roles:
            self._audit.record(
                actor=actor,
                action="privacy.reidentify_denied",
                subject_type="privacy_token",
                subject_id=token,
                payload={"token": token, "role": role},
            )
            raise ReidentificationNotAllowed(
                "this role may not re-identify tokens", role=role, actor=actor
            )
        if not reason or not reason.strip():
            raise InvalidInput("re-identification needs a reason")
        encryptor = self._require_encryptor()
        entity_type, plaintext = encryptor.decrypt(token)
        self._audit.record(
            actor=actor,
            action="privacy.reidentified",
            subject_type="privacy_token",
            subject_id=token,
            payload={"token": token, "entity_type": entity_type, "role": role, "reason": reason},
        )
        return plaintext

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _as_text(text: str | bytes, errors: DecodeErrors) -> str:
        return decode_bytes(text, errors=errors) if isinstance(text, bytes) else text

    def _check_mode(self, mode: RedactionMode) -> None:
        if mode == "pseudonymise" and self._pseudonymiser is None:
            raise MissingKey("no pseudonymisation key configured")
        if mode == "encrypt":
            self._require_encryptor()

    def _require_encryptor(self) -> Encryptor:
        if self._encryptor is None:
            raise MissingKey("no encryption key configured")
        return self._encryptor

    def _apply(self, text: str, findings: list[Finding], mode: RedactionMode, keep: int) -> str:
        return apply_findings(
            text,
            findings,
            mode,
            pseudonymiser=self._pseudonymiser,
            encryptor=self._encryptor,
            mask_keep=keep,
        )


def _read_batches(path: Path, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from pq.ParquetFile(path).iter_batches(batch_size=chunk_rows)
        return
    if suffix != ".csv":
        raise InvalidInput("tables must be .csv or .parquet", suffix=suffix)
    header = read_csv_header(path)
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=1 << 22),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())),
    )
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    for batch in reader:
        pending.append(batch)
        pending_rows += batch.num_rows
        while pending_rows >= chunk_rows:
            table = pa.Table.from_batches(pending)
            head, rest = table.slice(0, chunk_rows), table.slice(chunk_rows)
            yield from head.combine_chunks().to_batches()
            pending = rest.to_batches()
            pending_rows = rest.num_rows
    if pending_rows:
        yield from pa.Table.from_batches(pending).combine_chunks().to_batches()


class _TableWriter:
    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._schema = schema
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pacsv.CSVWriter | None = None
        if path.suffix.lower() == ".parquet":
            self._parquet = pq.ParquetWriter(path, schema)
        elif path.suffix.lower() == ".csv":
            self._csv = pacsv.CSVWriter(path, schema)
        else:
            raise InvalidInput("tables must be .csv or .parquet", suffix=path.suffix)

    def write(self, table: pa.Table) -> None:
        table = table.cast(self._schema)
        if self._parquet is not None:
            self._parquet.write_table(table)
        elif self._csv is not None:
            self._csv.write_table(table)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
