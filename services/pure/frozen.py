"""Frozen dataclass values made without their generated ``__init__``, where a run makes one per record."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import fields
from functools import cache
from typing import Any, TypeVar, cast

T = TypeVar("T")


@cache
def _field_names(cls: Any) -> tuple[str, ...]:
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} checks its values in __post_init__: make it with its constructor")
    return tuple(f.name for f in fields(cls))


def made(cls: type[T], /, **values: Any) -> T:
    """What ``cls(**values)`` makes, for a frozen dataclass without ``__post_init__``, given every one of its fields
    in the order they are declared (inherited ones first) — orjson writes an event's fields in that order, and a
    stored event's bytes are hash-chained. Anything else is a TypeError.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``: the monthly dues run makes
    several values per account and a rebuild an envelope per event, and that was a sixth of the run's time and half
    of decoding an envelope (measured). The types are not checked, as the constructor does not check them either."""
    names = _field_names(cast(Hashable, cls))
    if tuple(values) != names:
        raise TypeError(f"{cls.__name__} is made of {', '.join(names)}, in that order; got {', '.join(values)}")
    value = object.__new__(cls)
    value.__dict__.update(values)
    return value
