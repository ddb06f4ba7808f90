from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Literal

import pytest

from dualtrack.adapters.codec import decode, to_jsonable


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Inner:
    at: datetime
    amount: Decimal
    day: date | None = None


@dataclass(frozen=True)
class Outer:
    name: str
    colour: Colour
    inner: Inner
    tags: tuple[str, ...]
    scores: dict[str, float]
    kind: Literal["a", "b"] = "a"
    items: list[Inner] = field(default_factory=list)
    maybe: Inner | None = None
    members: frozenset[str] = frozenset()


def test_round_trip() -> None:
    inner = Inner(datetime(2026, 11, 25, 9, 30, tzinfo=UTC), Decimal("8000.50"), date(2026, 1, 1))
    value = Outer(
        "x", Colour.RED, inner, ("a", "b"), {"auc": 1}, "b", [inner], None, frozenset({"q", "p"})
    )
    data = to_jsonable(value)
    import json

    assert decode(Outer, json.loads(json.dumps(data))) == value


def test_bad_literal_is_refused() -> None:
    inner = Inner(datetime(2026, 1, 1, tzinfo=UTC), Decimal(1))
    data = to_jsonable(Outer("x", Colour.RED, inner, (), {}))
    data["kind"] = "zzz"
    with pytest.raises(ValueError):
        decode(Outer, data)
