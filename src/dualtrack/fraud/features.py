"""Transaction features with one definition, computed in batch and online.

:data:`FEATURE_SPECS` declares every feature once. Two engines read that list:

* :func:`compute_batch` takes a whole Polars frame of transactions (for training and
  back-testing) and computes every feature with sorts, cumulative sums and binary searches;
* :class:`OnlineFeatureEngine` takes one transaction at a time (for live scoring), keeping
  small per-key state (one event log per key, each window a suffix of it with running
  totals) in a :class:`~dualtrack.fraud.ports.FeatureStateStore`.

Semantics shared by both, for a transaction ``i`` at time ``t`` (seconds):

* "prior" means earlier in the stream, which is ordered by timestamp; ties keep stream
  order. The current transaction never counts in its own aggregates.
* a window of ``w`` seconds covers prior transactions of the same key with ``ts >= t - w``.
* sums are kept in integer HKD cents, so both engines get identical sums; ratios are formed
  with the same floating-point operations in the same order, so they agree to the bit.
* sentinels: ``-1`` for "no history" (time since last, ratio to mean).

The online state is keyed by customer, account or payee only, so it can be partitioned by
key; it remembers the features it returned per transaction ID for the longest window, so
re-scoring a transaction ID returns the same features and does not count it twice.
:meth:`OnlineFeatureEngine.fold` folds already-decided transactions in without computing
their features, which is how the state is rebuilt from stored decisions after a restart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt
import orjson
import polars as pl

from dualtrack.fraud.ports import FeatureStateStore

HOUR: Final = 3_600
DAY: Final = 86_400
WEEK: Final = 7 * DAY
HK_UTC_OFFSET: Final = 8 * HOUR

Entity = Literal["customer", "account", "payee"]
Kind = Literal[
    "amount",
    "channel",
    "overseas",
    "hour_of_day",
    "count",
    "sum",
    "distinct",
    "ratio_to_mean",
    "seconds_since_last",
    "first_time_pair",
]

#: Raw transaction columns (the scoring input schema) and their Polars types.
TRANSACTION_SCHEMA: Final[dict[str, type[pl.DataType]]] = {
    "txn_id": pl.String,
    "ts": pl.Int64,  # Unix seconds, UTC
    "customer_id": pl.String,
    "account_id": pl.String,
    "channel": pl.String,  # card_cnp / card_pos / fps
    "payee_id": pl.String,  # merchant ID (cards) or payee account (FPS)
    "payee_proxy_type": pl.String,  # merchant / account / phone / email / fps_id
    "mcc": pl.Int32,  # merchant category code, 0 for FPS
    "amount": pl.Float64,  # HKD
    "currency": pl.String,
    "device_id": pl.String,
    "is_overseas": pl.Boolean,
}
CHANNELS: Final = ("card_pos", "card_cnp", "fps")


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One model feature: what it aggregates, over which key and window."""

    name: str
    kind: Kind
    entity: Entity | None = None
    window_s: int | None = None
    #: for ``distinct`` the counted column; for ``first_time_pair`` the paired column
    other: str | None = None
    #: readable reason used when the feature pushes a score up ({value} is formatted in)
    reason: str = ""


def _windows(entity: Entity, label: str) -> list[FeatureSpec]:
    specs: list[FeatureSpec] = []
    for window, tag in ((HOUR, "1h"), (DAY, "24h"), (WEEK, "7d")):
        specs.append(
            FeatureSpec(
                f"{label}_count_{tag}",
                "count",
                entity,
                window,
                reason=f"{{value:.0f}} prior {label} transactions in the last {tag}",
            )
        )
        specs.append(
            FeatureSpec(
                f"{label}_sum_{tag}",
                "sum",
                entity,
                window,
                reason=f"HKD {{value:,.0f}} already moved by this {label} in the last {tag}",
            )
        )
    return specs


#: The single declaration of the HK payments feature set (order = model column order).
FEATURE_SPECS: Final[tuple[FeatureSpec, ...]] = (
    FeatureSpec("amount", "amount", reason="amount HKD {value:,.0f} is high"),
    FeatureSpec("channel_code", "channel", reason="payment channel is higher risk"),
    FeatureSpec("is_overseas", "overseas", reason="card used overseas"),
    FeatureSpec("hour_of_day", "hour_of_day", reason="unusual time of day ({value:.0f}h HKT)"),
    *_windows("customer", "cust"),
    FeatureSpec(
        "cust_amount_ratio",
        "ratio_to_mean",
        "customer",
        reason="amount is {value:.1f}x the customer's usual",
    ),
    FeatureSpec(
        "cust_secs_since_last",
        "seconds_since_last",
        "customer",
        reason="{value:.0f} s since the customer's previous transaction",
    ),
    FeatureSpec(
        "cust_new_payee",
        "first_time_pair",
        "customer",
        other="payee_id",
        reason="first payment to this payee or merchant",
    ),
    FeatureSpec(
        "cust_new_device",
        "first_time_pair",
        "customer",
        other="device_id",
        reason="first transaction from this device",
    ),
    FeatureSpec("acct_count_1h", "count", "account", HOUR, reason="burst on this account"),
    FeatureSpec(
        "acct_sum_24h",
        "sum",
        "account",
        DAY,
        reason="HKD {value:,.0f} out of this account in 24h",
    ),
    FeatureSpec(
        "acct_fanout_24h",
        "distinct",
        "account",
        DAY,
        other="payee_id",
        reason="account paid {value:.0f} distinct payees in 24h",
    ),
    FeatureSpec("payee_count_1h", "count", "payee", HOUR, reason="payee busy in the last hour"),
    FeatureSpec("payee_count_24h", "count", "payee", DAY, reason="payee received many payments"),
    FeatureSpec(
        "payee_sum_24h",
        "sum",
        "payee",
        DAY,
        reason="payee received HKD {value:,.0f} in 24h",
    ),
    FeatureSpec(
        "payee_fanin_24h",
        "distinct",
        "payee",
        DAY,
        other="customer_id",
        reason="payee was paid by {value:.0f} distinct payers in 24h",
    ),
)
FEATURE_NAMES: Final[tuple[str, ...]] = tuple(spec.name for spec in FEATURE_SPECS)
_KEY_COLUMN: Final[dict[Entity, str]] = {
    "customer": "customer_id",
    "account": "account_id",
    "payee": "payee_id",
}
#: The columns the online state is keyed by: a blank value would pool unrelated payments.
KEY_COLUMNS: Final[tuple[str, ...]] = tuple(_KEY_COLUMN.values())
_MAX_WINDOW: Final = max(spec.window_s or 0 for spec in FEATURE_SPECS)

#: What folding a transaction into the online state reads: its time, its amount and the
#: identifier columns the state is keyed or counted by. A decision that keeps these (as the
#: privacy policy passed them to the model) is enough to rebuild the state after a restart.
STATE_COLUMNS: Final[tuple[str, ...]] = (
    "ts",
    "amount",
    *dict.fromkeys([*_KEY_COLUMN.values(), *(spec.other for spec in FEATURE_SPECS if spec.other)]),
)


def state_event(txn: Mapping[str, object]) -> dict[str, object]:
    """The part of ``txn`` that :meth:`OnlineFeatureEngine.fold` needs."""
    return {column: txn[column] for column in STATE_COLUMNS}


def to_cents(amount: float) -> int:
    """HKD to integer cents, rounding half away from zero like :func:`_cents_array`."""
    return int(np.floor(abs(amount) * 100.0 + 0.5)) * (1 if amount >= 0 else -1)


def _cents_array(amounts: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    return (np.floor(np.abs(amounts) * 100.0 + 0.5) * np.sign(amounts)).astype(np.int64)


def channel_code(channel: str) -> int:
    """Stable integer code of a channel (``-1`` if unknown)."""
    return CHANNELS.index(channel) if channel in CHANNELS else -1


def hour_of_day(ts: int) -> int:
    """Hour of day in Hong Kong time (UTC+8, no daylight saving)."""
    return ((ts + HK_UTC_OFFSET) % DAY) // HOUR


# --------------------------------------------------------------------------- batch engine


def compute_batch(transactions: pl.DataFrame) -> pl.DataFrame:
    """All :data:`FEATURE_SPECS` for a frame of transactions, in the input row order.

    The frame needs the :data:`TRANSACTION_SCHEMA` columns used by the specs. The stream
    order is the stable sort by ``ts``. Returns a frame of the feature columns only.
    """
    n = transactions.height
    order = np.argsort(transactions["ts"].to_numpy(), kind="stable")
    ts = transactions["ts"].to_numpy().astype(np.int64)[order]
    amounts = transactions["amount"].to_numpy().astype(np.float64)[order]
    cents = _cents_array(amounts)
    codes: dict[str, npt.NDArray[np.int64]] = {}

    def code_of(column: str) -> npt.NDArray[np.int64]:
        if column not in codes:
            # categorical codes: any consistent integer per distinct value will do
            physical = transactions[column].cast(pl.String).cast(pl.Categorical).to_physical()
            dense = physical.to_numpy()
            codes[column] = dense.astype(np.int64)[order]
        return codes[column]

    out: dict[str, npt.NDArray[np.float64]] = {}
    groupings: dict[Entity, _Grouping] = {}
    for spec in FEATURE_SPECS:
        if spec.kind == "amount":
            out[spec.name] = amounts
        elif spec.kind == "channel":
            mapping = {name: float(i) for i, name in enumerate(CHANNELS)}
            coded = transactions["channel"].replace_strict(
                mapping, default=-1.0, return_dtype=pl.Float64
            )
            out[spec.name] = coded.to_numpy()[order]
        elif spec.kind == "overseas":
            out[spec.name] = transactions["is_overseas"].to_numpy()[order].astype(np.float64)
        elif spec.kind == "hour_of_day":
            out[spec.name] = (((ts + HK_UTC_OFFSET) % DAY) // HOUR).astype(np.float64)
        else:
            assert spec.entity is not None
            if spec.entity not in groupings:
                groupings[spec.entity] = _grouping(code_of(_KEY_COLUMN[spec.entity]), ts, cents)
            out[spec.name] = _keyed_feature(spec, groupings[spec.entity], code_of=code_of)
    result = np.empty(n, dtype=np.int64)
    result[order] = np.arange(n)  # position in stream order of each input row
    return pl.DataFrame({name: values[result] for name, values in out.items()})


def with_features(transactions: pl.DataFrame) -> pl.DataFrame:
    """``transactions`` with the feature columns added (same-named raw columns replaced)."""
    features = compute_batch(transactions)
    kept = transactions.drop([c for c in features.columns if c in transactions.columns])
    return pl.concat([kept, features], how="horizontal")


@dataclass(frozen=True, slots=True)
class _Grouping:
    """Rows sorted by key, stream order kept inside each key (shared by an entity's specs)."""

    by_key: npt.NDArray[np.int64]
    k: npt.NDArray[np.int64]
    t: npt.NDArray[np.int64]
    c: npt.NDArray[np.int64]
    group_start: npt.NDArray[np.int64]
    combined: npt.NDArray[np.int64]


def _grouping(
    key: npt.NDArray[np.int64], ts: npt.NDArray[np.int64], cents: npt.NDArray[np.int64]
) -> _Grouping:
    n = len(ts)
    by_key = np.argsort(key, kind="stable")
    k = key[by_key]
    t = ts[by_key]
    starts = np.r_[0, np.flatnonzero(np.diff(k)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    # one sortable int64 per row: key in the high bits, seconds since the first row below
    # (2**32 s is 136 years, leaving 31 bits for key codes)
    relative = t - (t.min() if n else 0)
    return _Grouping(by_key, k, t, cents[by_key], group_start, (k << 32) + relative)


def _keyed_feature(
    spec: FeatureSpec,
    grouping: _Grouping,
    *,
    code_of: Callable[[str], npt.NDArray[np.int64]],
) -> npt.NDArray[np.float64]:
    by_key, k, t, c = grouping.by_key, grouping.k, grouping.t, grouping.c
    group_start, combined = grouping.group_start, grouping.combined
    n = len(t)
    idx = np.arange(n)
    values = np.empty(n, dtype=np.float64)
    if spec.kind in ("count", "sum", "distinct"):
        assert spec.window_s is not None
        lower = np.searchsorted(combined, combined - spec.window_s, side="left")
        lower = np.maximum(lower, group_start)
        if spec.kind == "count":
            values = (idx - lower).astype(np.float64)
        elif spec.kind == "sum":
            cumulative = np.r_[0, np.cumsum(c)]
            values = (cumulative[idx] - cumulative[lower]).astype(np.float64) / 100.0
        else:
            assert spec.other is not None
            other = code_of(spec.other)[by_key]
            values = _distinct_in_window(k, other, lower).astype(np.float64)
    elif spec.kind == "ratio_to_mean":
        cumulative = np.cumsum(c) - c  # prior sum inside the group
        group_cum_before = np.r_[0, np.cumsum(c)][group_start]
        prior_sum = (cumulative - group_cum_before).astype(np.float64)
        prior_count = (idx - group_start).astype(np.float64)
        amount = c.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = amount * prior_count / prior_sum
        values = np.where((prior_count > 0) & (prior_sum > 0), ratio, -1.0)
    elif spec.kind == "seconds_since_last":
        previous = np.r_[-1, t[:-1]]
        values = np.where(idx > group_start, (t - previous).astype(np.float64), -1.0)
    elif spec.kind == "first_time_pair":
        assert spec.other is not None
        other = code_of(spec.other)[by_key]
        pair_order = np.lexsort((idx, other, k))
        pk, po = k[pair_order], other[pair_order]
        first = np.r_[True, (pk[1:] != pk[:-1]) | (po[1:] != po[:-1])]
        flags = np.empty(n, dtype=np.float64)
        flags[pair_order] = first.astype(np.float64)
        values = flags
    else:  # pragma: no cover - guarded by the Literal type
        raise ValueError(spec.kind)
    unsorted = np.empty(n, dtype=np.float64)
    unsorted[by_key] = values
    return unsorted


def _distinct_in_window(
    key: npt.NDArray[np.int64], other: npt.NDArray[np.int64], lower: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Distinct ``other`` values among rows ``[lower[i], i)`` of each key group.

    Row ``j`` is the first of its (key, other) pair inside query ``i``'s window exactly when
    ``lower[i] <= j < i`` and ``prev[j] < lower[i]`` (``prev`` = previous row of the same
    pair). ``lower`` never decreases, so for each ``j`` the matching queries form one
    contiguous range of ``i``; adding +1 over each range with a difference array gives the
    counts in O(n log n) without a Python loop.
    """
    n = len(key)
    idx = np.arange(n)
    pair_order = np.argsort((key << 32) + other, kind="stable")  # codes < 2**31
    pk, po = key[pair_order], other[pair_order]
    same = np.r_[False, (pk[1:] == pk[:-1]) & (po[1:] == po[:-1])]
    prev_sorted = np.where(same, np.r_[-1, pair_order[:-1]], -1)
    prev = np.empty(n, dtype=np.int64)
    prev[pair_order] = prev_sorted
    first_query = np.maximum(idx + 1, np.searchsorted(lower, prev, side="right"))
    last_query = np.searchsorted(lower, idx, side="right") - 1
    valid = first_query <= last_query
    diff = np.bincount(first_query[valid], minlength=n + 1)
    diff -= np.bincount(last_query[valid] + 1, minlength=n + 1)
    return np.cumsum(diff[:-1]).astype(np.int64)


# -------------------------------------------------------------------------- online engine


#: One folded transaction in an entity's log: ``(ts, cents, *values of the counted columns)``.
Event: TypeAlias = tuple[Any, ...]


@dataclass(slots=True)
class WindowState:
    """One window of one key: where it starts in the key's event log, plus running totals.

    The window holds the log's events from ``start`` (an absolute position) to its end;
    ``items`` counts the counted column's values among them (distinct-count features)."""

    start: int = 0
    total_cents: int = 0
    items: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class EntityState:
    """Everything the online engine remembers about one customer, account or payee.

    ``events`` is one log of ``(ts, cents, *counted values)`` in the order folded, shared by
    all of the key's windows (each window is a suffix of it); ``offset`` is the absolute
    position of ``events[0]``. ``windows`` follows the entity's read plan."""

    events: list[Event] = field(default_factory=list)
    offset: int = 0
    windows: list[WindowState] = field(default_factory=list)
    count: int = 0
    total_cents: int = 0
    last_ts: int | None = None
    seen: dict[str, set[str]] = field(default_factory=dict)


class OnlineFeatureEngine:
    """Incremental twin of :func:`compute_batch` over a feature state store."""

    def __init__(self, store: FeatureStateStore) -> None:
        self.store = store

    def features(self, txn: dict[str, object]) -> tuple[float, ...]:
        """Features of ``txn`` from the state so far, then fold ``txn`` into the state.

        Re-scoring a transaction ID returns the remembered features and leaves the state
        untouched.
        """
        txn_id = str(txn["txn_id"])
        remembered = self.store.remembered(txn_id)
        if remembered is not None:
            return remembered
        ts = int(txn["ts"])  # type: ignore[call-overload]
        amount = float(txn["amount"])  # type: ignore[arg-type]
        cents = to_cents(amount)
        states: dict[Entity, EntityState] = {}
        keys: dict[Entity, str] = {}
        # window aggregates stay 0.0 for a key with no state yet; the rest is set below
        values = [0.0] * _N_FEATURES
        for entity, column in _KEY_COLUMN.items():
            keys[entity] = state_key = f"{entity}:{txn[column]}"
            state = self.store.load(state_key)
            if state is None:
                states[entity] = _new_state(entity)
                continue
            states[entity] = state
            _trim(entity, state, ts)
            events, offset = state.events, state.offset
            size = len(events) + offset
            for (count_at, sum_at, distinct_at), window in zip(
                _OUTPUTS[entity], state.windows, strict=True
            ):
                if count_at >= 0:
                    values[count_at] = float(size - window.start)
                if sum_at >= 0:
                    values[sum_at] = float(window.total_cents) / 100.0
                if distinct_at >= 0:
                    values[distinct_at] = float(len(window.items))
        for at, spec in _OTHER_SPECS:
            values[at] = _other_value(spec, txn, ts, amount, cents, states)
        # fold the transaction in, after every feature has been read
        for entity, state in states.items():
            _fold(entity, state, txn, ts, cents)
            self.store.save(keys[entity], state)
        result = tuple(values)
        self.store.remember(txn_id, ts, result)
        return result

    def fold(self, txn: Mapping[str, object]) -> None:
        """Fold an already-decided transaction into the state without computing features.

        ``txn`` needs only :data:`STATE_COLUMNS` (see :func:`state_event`). Folding a stream
        in timestamp order leaves the state :meth:`features` would have left, so the state
        can be rebuilt from stored decisions after a restart. Windows are trimmed as they
        would be by a read at ``ts``, which removes nothing a later read would keep.
        """
        ts = int(txn["ts"])  # type: ignore[call-overload]
        cents = to_cents(float(txn["amount"]))  # type: ignore[arg-type]
        for entity, column in _KEY_COLUMN.items():
            key = f"{entity}:{txn[column]}"
            state = self.store.load(key)
            if state is None:
                state = _new_state(entity)
            else:
                _trim(entity, state, ts)
            _fold(entity, state, txn, ts, cents)
            self.store.save(key, state)

    def fold_all(self, txns: Iterable[Mapping[str, object]]) -> int:
        """:meth:`fold` each transaction (in the order given); returns how many."""
        n = 0
        for txn in txns:
            self.fold(txn)
            n += 1
        return n


def _new_state(entity: Entity) -> EntityState:
    return EntityState(windows=[WindowState() for _ in _READ_PLAN[entity]])


def _trim(entity: Entity, state: EntityState, ts: int) -> None:
    """Move each window's start past events older than its span before ``ts``.

    A window stops at the first event inside it, as a queue popped from the front would:
    the log is in folding order, which is time order per customer but not strictly per
    payee, so a later, older event stays until the ones before it leave. Events no window
    holds any more are dropped from the log's front."""
    events, offset = state.events, state.offset
    size = len(events)
    oldest = size
    for (span, item_at), window in zip(_SPANS[entity], state.windows, strict=True):
        i = window.start - offset
        horizon = ts - span
        if i < size and events[i][0] < horizon:
            total = window.total_cents
            if item_at:
                items = window.items
                while i < size and events[i][0] < horizon:
                    event = events[i]
                    total -= event[1]
                    item = event[item_at]
                    if item:
                        left = items[item] - 1
                        if left:
                            items[item] = left
                        else:
                            del items[item]
                    i += 1
            else:
                while i < size and events[i][0] < horizon:
                    total -= events[i][1]
                    i += 1
            window.total_cents = total
            window.start = i + offset
        if i < oldest:  # noqa: PLR1730 - min() is a call per window on the hot path
            oldest = i
    # drop the front once it is most of the log, so the cost is spread over many folds
    if oldest > 16 and oldest * 2 > size:
        del events[:oldest]
        state.offset = offset + oldest


def _window_name(spec: FeatureSpec) -> str:
    name = _WINDOW_NAMES.get(id(spec))  # the known specs' names, built once
    return name if name is not None else f"{spec.window_s}:{spec.other or ''}"


_WINDOW_NAMES: Final[dict[int, str]] = {
    id(spec): f"{spec.window_s}:{spec.other or ''}" for spec in FEATURE_SPECS
}

_WINDOW_KINDS: Final = frozenset({"count", "sum", "distinct"})

# the counterpart columns whose first-time pairs each entity remembers
_PAIRS_BY_ENTITY: Final[dict[Entity, tuple[str, ...]]] = {
    entity: tuple(
        spec.other
        for spec in FEATURE_SPECS
        if spec.entity == entity and spec.kind == "first_time_pair" and spec.other is not None
    )
    for entity in ("customer", "account", "payee")
}

# the columns whose values each entity's event log keeps (for distinct counts), in order:
# an event is (ts, cents, *values of these columns)
_COUNTED_BY_ENTITY: Final[dict[Entity, tuple[str, ...]]] = {
    entity: tuple(
        dict.fromkeys(
            spec.other
            for spec in FEATURE_SPECS
            if spec.entity == entity and spec.kind == "distinct" and spec.other is not None
        )
    )
    for entity in ("customer", "account", "payee")
}


class _Window(NamedTuple):
    """One window state of an entity: its name, span, where its counted value sits in an
    event (0: it counts none) and the positions in the feature vector of its count, sum and
    distinct-count features (-1 where there is none)."""

    name: str
    span: int
    item_at: int
    count_at: int
    sum_at: int
    distinct_at: int


def _read_plan(entity: Entity) -> tuple[_Window, ...]:
    """The window states of ``entity``, one per (span, counted column) however many
    features read it, so each is trimmed once per transaction."""
    counted = _COUNTED_BY_ENTITY[entity]
    plan: dict[str, list[int]] = {}
    for at, spec in enumerate(FEATURE_SPECS):
        if spec.entity != entity or spec.kind not in _WINDOW_KINDS:
            continue
        assert spec.window_s is not None
        item_at = 2 + counted.index(spec.other) if spec.other else 0
        slots = plan.setdefault(_window_name(spec), [spec.window_s, item_at, -1, -1, -1])
        slots[2 + ("count", "sum", "distinct").index(spec.kind)] = at
    return tuple(_Window(name, *slots) for name, slots in plan.items())


def window_events(entity: Entity, state: EntityState, name: str) -> list[Event]:
    """The events of ``state`` inside its window ``name`` (``"<seconds>:<counted column>"``)
    as last trimmed: for tests and inspection."""
    at = [window.name for window in _READ_PLAN[entity]].index(name)
    return state.events[state.windows[at].start - state.offset :]


_N_FEATURES: Final = len(FEATURE_SPECS)
_READ_PLAN: Final = {entity: _read_plan(entity) for entity in ("customer", "account", "payee")}
# the read plan as plain tuples for the per-transaction loops (no attribute lookups)
_SPANS: Final = {
    entity: tuple((w.span, w.item_at) for w in plan) for entity, plan in _READ_PLAN.items()
}
_OUTPUTS: Final = {
    entity: tuple((w.count_at, w.sum_at, w.distinct_at) for w in plan)
    for entity, plan in _READ_PLAN.items()
}
_OTHER_SPECS: Final = tuple(
    (at, spec) for at, spec in enumerate(FEATURE_SPECS) if spec.kind not in _WINDOW_KINDS
)


def _other_value(
    spec: FeatureSpec,
    txn: dict[str, object],
    ts: int,
    amount: float,
    cents: int,
    states: dict[Entity, EntityState],
) -> float:
    """A feature that is not a window aggregate."""
    kind = spec.kind
    if kind == "amount":
        return amount
    if kind == "channel":
        return float(channel_code(str(txn["channel"])))
    if kind == "overseas":
        return 1.0 if txn["is_overseas"] else 0.0
    if kind == "hour_of_day":
        return float(hour_of_day(ts))
    assert spec.entity is not None
    state = states[spec.entity]
    if kind == "ratio_to_mean":
        if state.count > 0 and state.total_cents > 0:
            return float(cents) * float(state.count) / float(state.total_cents)
        return -1.0
    if kind == "seconds_since_last":
        return float(ts - state.last_ts) if state.last_ts is not None else -1.0
    if kind == "first_time_pair":
        assert spec.other is not None
        return 0.0 if str(txn[spec.other]) in state.seen.get(spec.other, ()) else 1.0
    raise ValueError(spec.kind)  # pragma: no cover


def _fold(
    entity: Entity, state: EntityState, txn: Mapping[str, object], ts: int, cents: int
) -> None:
    """Append ``txn`` to the entity's event log and add it to every window's totals."""
    counted = _COUNTED_BY_ENTITY[entity]
    event: Event = (
        (ts, cents, *(str(txn[column]) for column in counted)) if counted else (ts, cents)
    )
    for (_span, item_at), window in zip(_SPANS[entity], state.windows, strict=True):
        window.total_cents += cents
        if item_at:
            item = event[item_at]
            if item:
                counts = window.items
                counts[item] = counts.get(item, 0) + 1
    state.events.append(event)
    for other in _PAIRS_BY_ENTITY[entity]:
        state.seen.setdefault(other, set()).add(str(txn[other]))
    state.count += 1
    state.total_cents += cents
    state.last_ts = ts


def _state_format() -> str:
    """Names what a serialised state depends on: the read plans (windows, spans, counted
    columns) and the remembered pairs. A state saved under another format is not loaded."""
    plan = repr(
        (
            {entity: tuple(plan) for entity, plan in _READ_PLAN.items()},
            _COUNTED_BY_ENTITY,
            _PAIRS_BY_ENTITY,
        )
    )
    return "dualtrack.fraud.state/1:" + hashlib.sha256(plan.encode()).hexdigest()[:16]


#: The serialised state's format (see :func:`dump_states`).
STATE_FORMAT: Final = _state_format()


def dump_states(states: Mapping[str, EntityState]) -> bytes:
    """Serialise per-key states (JSON, no code): what :func:`load_states` reads back."""
    return orjson.dumps(
        {
            "format": STATE_FORMAT,
            "states": {
                key: [
                    state.events,
                    state.offset,
                    [[w.start, w.total_cents, w.items] for w in state.windows],
                    state.count,
                    state.total_cents,
                    state.last_ts,
                    {column: sorted(values) for column, values in state.seen.items()},
                ]
                for key, state in states.items()
            },
        }
    )


def load_states(data: bytes) -> dict[str, EntityState]:
    """The states :func:`dump_states` wrote; ``ValueError`` if the format differs."""
    parsed = orjson.loads(data)
    if not isinstance(parsed, dict) or parsed.get("format") != STATE_FORMAT:
        raise ValueError("the saved feature state was written by another feature definition")
    out: dict[str, EntityState] = {}
    for key, (events, offset, windows, count, total, last_ts, seen) in parsed["states"].items():
        out[key] = EntityState(
            events=[tuple(event) for event in events],
            offset=offset,
            windows=[WindowState(start, cents, items) for start, cents, items in windows],
            count=count,
            total_cents=total,
            last_ts=last_ts,
            seen={column: set(values) for column, values in seen.items()},
        )
    return out


__all__ = [
    "FEATURE_NAMES",
    "FEATURE_SPECS",
    "STATE_COLUMNS",
    "STATE_FORMAT",
    "TRANSACTION_SCHEMA",
    "EntityState",
    "FeatureSpec",
    "OnlineFeatureEngine",
    "compute_batch",
    "dump_states",
    "load_states",
    "state_event",
    "window_events",
    "with_features",
]
