"""Input validation for scoring: one pass over a batch, every problem reported at once.

A batch is accepted or rejected as a whole (nothing is scored or folded into feature
state when any row is invalid), so a client can fix and resend it. Problems name the
row number, the field and, for our own transaction IDs, the ID; never field values that
could be personal data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from dualtrack.fraud.datasets import ULB_FEATURES
from dualtrack.fraud.errors import FraudInputError
from dualtrack.fraud.features import CHANNELS, KEY_COLUMNS, TRANSACTION_SCHEMA

#: Raw input columns each feature set expects (beyond ``txn_id``).
INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "hk_payments_v1": tuple(TRANSACTION_SCHEMA),
    "ulb_pca_v1": ("txn_id", "Time", *(c for c in ULB_FEATURES if c != "hour")),
}
_PYTHON_TYPES: dict[type[pl.DataType], type | tuple[type, ...]] = {
    pl.String: str,
    pl.Int64: int,
    pl.Int32: int,
    pl.Float64: (int, float),
    pl.Boolean: bool,
}
#: Batches up to this size are checked row by row in Python (a few microseconds per row)
#: instead of with vectorised Polars expressions (a fixed cost of several milliseconds).
#: Both paths apply the same rules; the unit tests run every rule through both.
SMALL_BATCH = 32
#: Requests up to this size are scored without building a Polars frame at all
#: (:func:`to_rows` + :func:`row_problems`), the path real-time API traffic takes.
ROW_PATH_MAX = 512
#: The earliest transaction time accepted (2000-01-01 UTC, Unix seconds).
EARLIEST_TS = 946_684_800
#: Label columns that may ride along in files (never passed to the model).
LABEL_COLUMNS: frozenset[str] = frozenset({"is_fraud", "typology", "Class"})
_OPTIONAL = LABEL_COLUMNS


@dataclass(frozen=True, slots=True)
class ValidationLimits:
    """Limits applied to every scoring request."""

    max_batch: int = 10_000
    currencies: frozenset[str] = field(default_factory=lambda: frozenset({"HKD"}))
    max_future_s: int = 300
    max_amount: float = 1e9


#: The range of each integer input column's type (a value outside is a wrong type).
INT_RANGES: dict[type[pl.DataType], tuple[int, int]] = {
    pl.Int64: (-(2**63), 2**63 - 1),
    pl.Int32: (-(2**31), 2**31 - 1),
}


def _input_schema(feature_set: str) -> dict[str, type[pl.DataType]]:
    if feature_set == "hk_payments_v1":
        return dict(TRANSACTION_SCHEMA)
    return {c: (pl.String if c == "txn_id" else pl.Float64) for c in INPUT_COLUMNS[feature_set]}


def _check_fields(rows: Sequence[Mapping[str, object]], feature_set: str) -> None:
    """Missing and extra fields, then values of the wrong Python type, for every row."""
    expected = INPUT_COLUMNS[feature_set]
    problems: list[str] = []
    for i, row in enumerate(rows):
        keys = set(row)
        missing = [c for c in expected if c not in keys]
        extra = sorted(keys - set(expected) - _OPTIONAL)
        if missing:
            problems.append(f"row {i}: missing fields {missing}")
        if extra:
            problems.append(f"row {i}: unexpected fields {extra}")
        if len(problems) >= 20:
            break
    if problems:
        raise FraudInputError("invalid transactions: " + "; ".join(problems), problems=problems)
    problems = wrong_types(rows, feature_set)
    if problems:
        raise FraudInputError("invalid transactions: " + "; ".join(problems), problems=problems)


def wrong_types(rows: Sequence[Mapping[str, object]], feature_set: str) -> list[str]:
    """The input fields holding a value of the wrong JSON type (a boolean where a number or
    a string belongs...); missing fields are left to the caller. Also for checking raw rows
    before a privacy policy turns a non-text identifier into a text pseudonym."""
    problems: list[str] = []
    for column, dtype in _input_schema(feature_set).items():
        wanted = _PYTHON_TYPES[dtype]
        numeric = wanted is not str and wanted is not bool
        bad = [
            i
            for i, row in enumerate(rows)
            if (value := row.get(column)) is not None
            and (not isinstance(value, wanted) or (numeric and isinstance(value, bool)))
        ]
        if bad:
            shown = ", ".join(str(i) for i in bad[:5])
            problems.append(f"rows {shown}: {column} has the wrong type")
    return problems


def to_frame(rows: Sequence[Mapping[str, object]], feature_set: str) -> pl.DataFrame:
    """Rows (JSON objects) to a typed frame, reporting missing and extra fields."""
    _check_fields(rows, feature_set)
    try:
        # non-strict: a value of the wrong type becomes null and is reported as such
        return pl.from_dicts(list(rows), schema=_input_schema(feature_set), strict=False)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        raise FraudInputError(
            "fields have the wrong types", problems=[type(exc).__name__]
        ) from None


def to_rows(rows: Sequence[Mapping[str, object]], feature_set: str) -> list[dict[str, Any]]:
    """Rows (JSON objects) to typed rows: the same checks and coercions as :func:`to_frame`
    without building a frame, for small batches (a frame costs about a millisecond).

    Each row keeps only the input columns; floats columns hold floats, and an integer
    outside its column's range becomes ``None`` (reported as a wrong type, as the
    non-strict frame construction does)."""
    _check_fields(rows, feature_set)
    schema = _input_schema(feature_set)
    floats = [c for c, t in schema.items() if t is pl.Float64]
    ranged = [(c, INT_RANGES[t]) for c, t in schema.items() if t in INT_RANGES]
    out: list[dict[str, object]] = []
    for row in rows:
        typed: dict[str, Any] = {c: row[c] for c in schema}
        for column in floats:
            value = typed[column]
            if value is not None:
                try:
                    typed[column] = float(value)
                except OverflowError:  # an integer too large for a float
                    typed[column] = None
        for column, (low, high) in ranged:
            value = typed[column]
            if isinstance(value, int) and not low <= value <= high:
                typed[column] = None
        out.append(typed)
    return out


def validate_frame(
    frame: pl.DataFrame,
    feature_set: str,
    *,
    limits: ValidationLimits,
    now_ts: float,
    last_ts: Mapping[str, int] | None = None,
    known_ids: frozenset[str] = frozenset(),
) -> None:
    """Raise :class:`FraudInputError` listing every problem in ``frame``.

    ``last_ts`` maps customer IDs to the newest timestamp already in the feature state;
    ``known_ids`` are transaction IDs already scored (re-scoring those is allowed and
    exempt from the ordering check).
    """
    problems: list[str] = []
    expected = INPUT_COLUMNS[feature_set]
    missing = [c for c in expected if c not in frame.columns]
    extra = sorted(set(frame.columns) - set(expected) - _OPTIONAL)
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"unexpected columns {extra}")
    if frame.height > limits.max_batch:
        problems.append(f"batch of {frame.height} rows exceeds the limit of {limits.max_batch}")
    if problems:
        raise FraudInputError("invalid batch: " + "; ".join(problems), problems=problems)

    if frame.height <= SMALL_BATCH:
        problems = row_problems(
            frame.to_dicts(), feature_set, limits, now_ts, last_ts=last_ts, known_ids=known_ids
        )
        if problems:
            raise FraudInputError("invalid transactions: " + "; ".join(problems), problems=problems)
        return

    def flag(mask: pl.Series, what: str) -> None:
        rows = np.flatnonzero(mask.fill_null(True).to_numpy())
        if len(rows):
            shown = ", ".join(str(r) for r in rows[:5])
            more = f" (+{len(rows) - 5} more)" if len(rows) > 5 else ""
            problems.append(f"rows {shown}{more}: {what}")

    for column in expected:
        flag(frame[column].is_null(), f"{column} is missing or has the wrong type")
    ids = frame["txn_id"]
    flag(ids.is_duplicated(), "duplicate txn_id in the batch")
    flag(ids.str.len_chars() == 0, "empty txn_id")
    amount_col = "amount" if feature_set == "hk_payments_v1" else "Amount"
    amount = frame[amount_col].cast(pl.Float64)
    flag(~amount.is_finite(), f"{amount_col} is NaN or infinite")
    flag(amount < 0, f"{amount_col} is negative")
    flag(amount > limits.max_amount, f"{amount_col} exceeds {limits.max_amount:,.0f}")
    if feature_set == "ulb_pca_v1":
        for column in expected[1:]:
            flag(~frame[column].cast(pl.Float64).is_finite(), f"{column} is NaN or infinite")
    else:
        for column in KEY_COLUMNS:
            flag(frame[column].str.strip_chars().str.len_chars() == 0, f"empty {column}")
        currency = frame["currency"]
        flag(~currency.is_in(sorted(limits.currencies)), "unknown or unsupported currency")
        flag(~frame["channel"].is_in(list(CHANNELS)), "unknown channel")
        ts = frame["ts"]
        flag(ts > now_ts + limits.max_future_s, "timestamp is in the future")
        flag(ts < EARLIEST_TS, "timestamp is before 2000-01-01")
        fresh = ~ids.is_in(sorted(known_ids)) if known_ids else pl.Series([True] * frame.height)
        ordered = frame.select(
            (pl.col("ts").diff().over("customer_id").fill_null(0) < 0).alias("back")
        )["back"]
        flag(ordered & fresh, "timestamp earlier than a previous transaction of the customer")
        if last_ts:
            prior = frame["customer_id"].replace_strict(
                last_ts, default=None, return_dtype=pl.Int64
            )
            flag((ts < prior).fill_null(False) & fresh, "timestamp older than scored history")
    if problems:
        raise FraudInputError("invalid transactions: " + "; ".join(problems), problems=problems)


def blank_keys(rows: Sequence[Mapping[str, object]]) -> list[str]:
    """Rows whose customer, account or payee identifier is blank, as :func:`row_problems`
    words them: for checking raw rows before a privacy policy turns a blank identifier into
    a pseudonym that no longer looks blank."""
    found: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for column in KEY_COLUMNS:
            value = row.get(column)
            if isinstance(value, str) and not value.strip():
                found.setdefault(f"empty {column}", []).append(i)
    return [_rows_phrase(hit) + f": {what}" for what, hit in found.items()]


def _rows_phrase(rows: Sequence[int]) -> str:
    unique = sorted(set(rows))
    shown = ", ".join(str(r) for r in unique[:5])
    more = f" (+{len(unique) - 5} more)" if len(unique) > 5 else ""
    return f"rows {shown}{more}"


def row_problems(
    rows: Sequence[Mapping[str, Any]],
    feature_set: str,
    limits: ValidationLimits,
    now_ts: float,
    *,
    last_ts: Mapping[str, int] | None = None,
    known_ids: frozenset[str] = frozenset(),
) -> list[str]:
    """Every problem in typed ``rows`` (from :func:`to_rows`), row by row in Python: the
    same rules and messages as :func:`validate_frame`'s vectorised checks."""
    found: dict[str, list[int]] = {}

    def flag(row: int, what: str) -> None:
        found.setdefault(what, []).append(row)

    expected = INPUT_COLUMNS[feature_set]
    amount_col = "amount" if feature_set == "hk_payments_v1" else "Amount"
    seen_ids: dict[object, int] = {}
    newest: dict[object, int] = {}
    for i, row in enumerate(rows):
        txn_id = row["txn_id"]
        if txn_id in seen_ids:
            flag(seen_ids[txn_id], "duplicate txn_id in the batch")
            flag(i, "duplicate txn_id in the batch")
        else:
            seen_ids[txn_id] = i
    for i, row in enumerate(rows):
        for column in expected:
            if row[column] is None:
                flag(i, f"{column} is missing or has the wrong type")
        if row["txn_id"] == "":
            flag(i, "empty txn_id")
        amount = row[amount_col]
        if amount is not None:
            if not math.isfinite(amount):
                flag(i, f"{amount_col} is NaN or infinite")
            elif amount < 0:
                flag(i, f"{amount_col} is negative")
            elif amount > limits.max_amount:
                flag(i, f"{amount_col} exceeds {limits.max_amount:,.0f}")
        if feature_set == "ulb_pca_v1":
            for column in expected[1:]:
                value = row[column]
                if value is not None and not math.isfinite(value):
                    flag(i, f"{column} is NaN or infinite")
            continue
        for column in KEY_COLUMNS:
            value = row[column]
            if isinstance(value, str) and not value.strip():
                flag(i, f"empty {column}")
        if row["currency"] not in limits.currencies:
            flag(i, "unknown or unsupported currency")
        if row["channel"] not in CHANNELS:
            flag(i, "unknown channel")
        ts, customer = row["ts"], row["customer_id"]
        if ts is None:
            continue
        if ts > now_ts + limits.max_future_s:
            flag(i, "timestamp is in the future")
        if ts < EARLIEST_TS:
            flag(i, "timestamp is before 2000-01-01")
        fresh = row["txn_id"] not in known_ids
        if customer in newest and ts < newest[customer] and fresh:
            flag(i, "timestamp earlier than a previous transaction of the customer")
        newest[customer] = ts
        prior = (last_ts or {}).get(customer)
        if prior is not None and ts < prior and fresh:
            flag(i, "timestamp older than scored history")
    return [f"{_rows_phrase(hit)}: {what}" for what, hit in found.items()]


__all__ = [
    "EARLIEST_TS",
    "INPUT_COLUMNS",
    "INT_RANGES",
    "LABEL_COLUMNS",
    "ROW_PATH_MAX",
    "SMALL_BATCH",
    "ValidationLimits",
    "blank_keys",
    "row_problems",
    "to_frame",
    "to_rows",
    "validate_frame",
    "wrong_types",
]
