"""Generic JSON codec for frozen domain dataclasses, used by SQL adapters that store records
as JSON documents. It follows type hints, so a round trip gives back equal objects:
dataclasses, enums, datetimes/dates (ISO), Decimal (string), tuples, lists, frozensets,
dicts with string keys, ``X | None`` and Literal."""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import functools
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v) for v in value), key=repr)
    return value


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from :func:`to_jsonable` output."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = get_args(tp)
        if data is None and type(None) in args:
            return None
        last: Exception | None = None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return from_jsonable(arg, data)
            except (TypeError, ValueError, KeyError) as exc:
                last = exc
        raise ValueError(f"no type in {tp} fits {data!r}") from last
    if origin is typing.Literal:
        if data not in get_args(tp):
            raise ValueError(f"{data!r} is not one of {get_args(tp)}")
        return data
    if origin in (tuple,):
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v) for v in data)
        return tuple(from_jsonable(a, v) for a, v in zip(args, data, strict=True))
    if origin in (list, typing.Sequence, collections.abc.Sequence):
        (arg,) = get_args(tp) or (Any,)
        return [from_jsonable(arg, v) for v in data]
    if origin in (frozenset, set):
        (arg,) = get_args(tp) or (Any,)
        return origin(from_jsonable(arg, v) for v in data)
    if origin in (dict, typing.Mapping, collections.abc.Mapping):
        key_t, val_t = get_args(tp) or (str, Any)
        return {from_jsonable(key_t, k): from_jsonable(val_t, v) for k, v in data.items()}
    if tp is Any or tp is object:
        return data
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            hints = _hints(tp)
            kwargs = {
                f.name: from_jsonable(hints[f.name], data[f.name])
                for f in dataclasses.fields(tp)
                if f.init and f.name in data
            }
            return tp(**kwargs)
        if issubclass(tp, enum.Enum):
            return tp(data)
        if tp is datetime:
            return datetime.fromisoformat(data)
        if tp is date:
            return date.fromisoformat(data)
        if tp is Decimal:
            return Decimal(data)
        if tp is float and isinstance(data, int):
            return float(data)
        if tp in (str, int, float, bool) and not isinstance(data, tp):
            raise TypeError(f"expected {tp.__name__}, got {type(data).__name__}")
        return data
    return data


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    # get_type_hints evaluates string annotations: costly, and the same for every record.
    return get_type_hints(cls)


def decode(cls: type[T], data: Any) -> T:
    value: T = from_jsonable(cls, data)
    return value


__all__ = ["decode", "from_jsonable", "to_jsonable"]
