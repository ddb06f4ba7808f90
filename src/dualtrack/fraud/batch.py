"""Batch file scoring: CSV or Parquet in, scored file out, streamed in chunks.

Only one chunk is in memory at a time. The output has the scorer's columns
(``txn_id, score, action, model_action, rule_hits, reasons, model_version``); its format
follows the output suffix (``.csv`` or ``.parquet``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from dualtrack.fraud.errors import FraudInputError
from dualtrack.fraud.features import TRANSACTION_SCHEMA
from dualtrack.fraud.service import FraudScorer
from dualtrack.fraud.validation import INPUT_COLUMNS

_ARROW_TYPES: dict[type[pl.DataType], pa.DataType] = {
    pl.String: pa.string(),
    pl.Int64: pa.int64(),
    pl.Int32: pa.int32(),
    pl.Float64: pa.float64(),
    pl.Boolean: pa.bool_(),
}
ProgressCallback = Callable[[int, int | None], None]
_SUFFIXES = (".csv", ".parquet")


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise FraudInputError("file must be .csv or .parquet", suffix=suffix)
    return suffix


def _chunks(
    path: Path, chunk_rows: int, feature_set: str
) -> tuple[Iterator[pa.RecordBatch], int | None]:
    if _check_suffix(path) == ".parquet":
        parquet = pq.ParquetFile(path)
        return parquet.iter_batches(batch_size=chunk_rows), parquet.metadata.num_rows
    # fixed column types: the streaming reader infers types from the first block only, so
    # a column that looks integral there (ULB ``Time``) would fail on a later block
    types: dict[str, pa.DataType] = {"typology": pa.string(), "is_fraud": pa.int64()}
    types |= {"Class": pa.float64()}
    if feature_set == "hk_payments_v1":
        types |= {name: _ARROW_TYPES[dtype] for name, dtype in TRANSACTION_SCHEMA.items()}
    else:
        types |= {name: pa.float64() for name in INPUT_COLUMNS["ulb_pca_v1"]}
        types["txn_id"] = pa.string()
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=1 << 22),
        convert_options=pa_csv.ConvertOptions(column_types=types),
    )
    return iter(reader), None


def _rechunk(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pl.DataFrame]:
    pending: list[pl.DataFrame] = []
    size = 0
    for batch in batches:
        frame = pl.from_arrow(pa.Table.from_batches([batch]))
        assert isinstance(frame, pl.DataFrame)
        pending.append(frame)
        size += frame.height
        while size >= rows:
            merged = pl.concat(pending)
            yield merged.head(rows)
            rest = merged.slice(rows)
            pending, size = ([rest], rest.height) if rest.height else ([], 0)
    if size:
        yield pl.concat(pending)


def score_file(
    in_path: Path,
    out_path: Path,
    scorer: FraudScorer,
    progress_callback: ProgressCallback | None = None,
    *,
    chunk_rows: int = 10_000,
    explain: bool = False,
) -> int:
    """Score every row of ``in_path`` into ``out_path``; return the number of rows.

    ``progress_callback(done_rows, total_rows_or_None)`` is called after each chunk.
    Chunks larger than the scorer's batch limit are refused.
    """
    if chunk_rows > scorer.limits.max_batch:
        raise FraudInputError("chunk_rows exceeds the scorer's batch limit", chunk_rows=chunk_rows)
    out_suffix = _check_suffix(out_path)
    batches, total = _chunks(in_path, chunk_rows, scorer.artifact.feature_set)
    done = 0
    writer: pq.ParquetWriter | pa_csv.CSVWriter | None = None
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        for chunk in _rechunk(batches, chunk_rows):
            try:
                table = scorer.score_frame(chunk, explain=explain).to_arrow()
            except FraudInputError as exc:
                raise FraudInputError(
                    f"rows {done}-{done + chunk.height - 1} of the file: {exc.message}",
                    **exc.fields,
                ) from None
            if writer is None:
                writer = (
                    pq.ParquetWriter(partial, table.schema)
                    if out_suffix == ".parquet"
                    else pa_csv.CSVWriter(partial, table.schema)
                )
            writer.write_table(table)
            done += chunk.height
            if progress_callback is not None:
                progress_callback(done, total)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise FraudInputError("input file has no rows")
    partial.replace(out_path)
    return done


__all__ = ["score_file"]
