"""HTTP bodies generated from command dataclasses: one definition per command, never two.

A command's fields, minus what the API fills in itself (actor, today, ids from the path or newly
made), become the request body. Unknown fields are refused, and numbers, strings and booleans are
strict, so ``"8"`` is not taken for ``8``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, create_model

#: Days a command may name: a date outside them is a typo (year 0070, 9999), refused as a 422 before any rule
#: or policy look-up sees it.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
_STRICT: dict[Any, Any] = {int: StrictInt, str: StrictStr, bool: StrictBool, date: Day}
C = TypeVar("C")
_cache: dict[tuple[type, frozenset[str]], type[BaseModel]] = {}
_hints: dict[type, dict[str, Any]] = {}


def _strict(tp: Any) -> Any:
    if tp in _STRICT:
        return _STRICT[tp]
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = tuple(_strict(a) for a in get_args(tp))
        return Union[args]  # noqa: UP007 - built from a runtime tuple
    if origin is tuple and get_args(tp)[-1:] == (Ellipsis,):
        return tuple[_strict(get_args(tp)[0]), ...]  # type: ignore[misc]
    if origin is frozenset:
        return frozenset[_strict(get_args(tp)[0])]  # type: ignore[misc]
    return tp


def body_model(command: type, exclude: Iterable[str] = ()) -> type[BaseModel]:
    """The request body of ``command`` without the ``exclude``d fields (plus actor and today)."""
    skip = frozenset(exclude) | {"actor", "today"}
    key = (command, skip)
    if key in _cache:
        return _cache[key]
    hints = get_type_hints(command)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(command):
        if f.name in skip:
            continue
        default: Any = ...
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = Field(default_factory=f.default_factory)
        fields[f.name] = (_strict(hints[f.name]), default)
    model = create_model(
        f"{command.__name__}Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=_own_doc(command),
        **fields,
    )
    _cache[key] = model
    return typing.cast(type[BaseModel], model)


def _own_doc(command: type) -> str | None:
    doc = command.__doc__ or ""
    # dataclasses invent a docstring from the signature when a class has none.
    return None if doc.startswith(f"{command.__name__}(") else doc


def to_command(command: type[C], body: BaseModel, **filled: Any) -> C:
    """Build the command from a validated body and the fields the API fills in.

    A hand-written body may nest models and lists where the command has dataclasses and tuples;
    they become the command's own types here."""
    hints = _hints.get(command)
    if hints is None:
        # Resolving a dataclass's annotations costs more than the rest of building its command (issue 14: about a
        # third of a millisecond); a command class never changes.
        hints = _hints[command] = get_type_hints(command)
    values = {name: _as(hints.get(name), getattr(body, name)) for name in type(body).model_fields}
    return command(**values, **filled)


def _as(hint: Any, value: Any) -> Any:
    if isinstance(value, BaseModel):
        target = next((t for t in (hint, *get_args(hint)) if isinstance(t, type) and dataclasses.is_dataclass(t)),
                      None)
        if target is None:
            raise TypeError(f"no dataclass in {hint} for {type(value).__name__}")
        return target(**{k: _as(None, v) for k, v in value})
    if isinstance(value, list) and tuple in (get_origin(hint), *(get_origin(a) for a in get_args(hint))):
        return tuple(value)
    return value
