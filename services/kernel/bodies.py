"""HTTP bodies generated from command dataclasses: one definition per command, never two.

A command's fields, minus what the API fills in itself (actor, today, ids from the path or newly
made), become the request body. Unknown fields are refused, and numbers, strings and booleans are
strict, so ``"8"`` is not taken for ``8``.

Every value a body takes must also be one that every consumer of its event can apply: the read models are
PostgreSQL tables, so text holds no NUL (nor any control character but tab and line breaks), a whole number fits
an ``integer`` column, a day and a moment lie within the calendar the rules know. A value that passed here but not
there was stored, acknowledged with a 201, and then refused by the projector on every try (a poison event). The
types for that are here, once: the generated bodies use them, and so do the hand-written ones
(services/membership/contract/bodies.py).
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    create_model,
)
from pydantic_core import PydanticCustomError

from services.pure.dates import FIRST_DAY as FIRST_DAY
from services.pure.dates import LAST_DAY as LAST_DAY
from services.pure.text import TEXT_RULE, control_character

Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]

#: Whole numbers a body takes: PostgreSQL's ``integer`` (int4), the column a read model keeps a count in. An event
#: holds any JSON number, so a larger one was stored and then refused by the projector for good, and one past 64
#: bits failed the append in orjson (a 500). No field counts anything near two billion: people, votes, months,
#: days, a stream's version — and a field that needs more says so with its own bound.
SMALLEST_WHOLE, LARGEST_WHOLE = -(2**31), 2**31 - 1
Whole = Annotated[StrictInt, Field(ge=SMALLEST_WHOLE, le=LARGEST_WHOLE)]


def _plain(value: str) -> str:
    problem = control_character(value)
    if problem is not None:
        raise PydanticCustomError("text_control_character", f"holds {problem}; remove it ({TEXT_RULE})")
    return value


#: The check of ``PlainText``, for a hand-written string with constraints of its own: put it after them,
#: ``Annotated[StrictStr, Field(max_length=200), PLAIN]``, or pydantic checks the lengths after it, vaguely worded.
PLAIN = AfterValidator(_plain)
#: Text a body takes: a string without NUL or another control character but tab, line feed and carriage return
#: (services/pure/text.py says why those three stay). One rule for a name and a note alike: the generated bodies
#: cannot tell them apart (a command's field is ``str``), and the three are harmless in every store.
PlainText = Annotated[StrictStr, PLAIN]

#: A moment written as RFC 3339: a date, a time and the rest; a bare number would be read as a Unix time.
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")
_FIRST_MOMENT = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC)
_LAST_MOMENT = datetime(LAST_DAY.year + 1, 1, 1, tzinfo=UTC)
_MOMENT_EXAMPLE = "2026-06-30T18:00:00+08:00 (write + as %2B in a query string) or 2026-06-30T10:00:00Z"


def _written_as_moment(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _MOMENT.match(value):
        raise PydanticCustomError("moment_format", f"write a date and time with its offset, e.g. {_MOMENT_EXAMPLE}")
    return value


def _with_offset(value: datetime) -> datetime:
    if value.utcoffset() is None:
        # Naive, it would be a different instant in every time zone, and compared with the stores' recorded times
        # (all with their offset) it was a 500.
        raise PydanticCustomError("moment_offset", f"give a time zone offset, e.g. {_MOMENT_EXAMPLE}")
    if not _FIRST_MOMENT <= value < _LAST_MOMENT:
        # Outside them a moment may not even have a UTC form (0001-01-01T00:00+14:00 is in year 0).
        raise PydanticCustomError("moment_range", f"give a time from {FIRST_DAY} to {LAST_DAY}")
    return value


#: A moment a client names (a recorded time to read from, a time to replay from): RFC 3339 with its offset, from
#: ``FIRST_DAY`` to ``LAST_DAY`` — the same rule as ``as_of`` on every read (services/gateway/api/as_of.py).
Moment = Annotated[datetime, BeforeValidator(_written_as_moment), AfterValidator(_with_offset)]

#: Decimal numbers a body takes (money, hours, a rate): plain digits, at most ``DECIMAL_PLACES`` after the point and
#: ``DECIMAL_DIGITS`` in all, as written. A Decimal keeps how it was written, and pydantic's own limits count only
#: significant digits: "3E+4", "0E-999999999" or 30000 followed by a point and 20,000 zeros passed, were stored and
#: published as written, and PostgreSQL's ``numeric`` in the projector refused them for good (a poison event after
#: a 201). No field needs more places: yuan to the fen, hours to the half, a rate such as 0.005. The digits are
#: bounded only against pathological lengths: how large an amount may be is each domain's rule, said in its words
#: ("is more than 1,000,000,000,000 yuan").
DECIMAL_PLACES, DECIMAL_DIGITS = 6, 64


def _decimal_problem(value: Decimal) -> str | None:
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return "is not a finite number"
    if exponent > 0 or exponent < -DECIMAL_PLACES or len(digits) > DECIMAL_DIGITS:
        return (f"write it in plain digits, at most {DECIMAL_PLACES} after the point and {DECIMAL_DIGITS} in all "
                "(e.g. 1280.50), not with an exponent or trailing zeros beyond that")
    return None


def _plain_decimal(value: Decimal) -> Decimal:
    problem = _decimal_problem(value)
    if problem is not None:
        raise PydanticCustomError("decimal_plain", problem)
    return value


PlainDecimal = Annotated[Decimal, Field(allow_inf_nan=False), AfterValidator(_plain_decimal)]

_STRICT: dict[Any, Any] = {int: Whole, str: PlainText, bool: StrictBool, date: Day, datetime: Moment,
                           Decimal: PlainDecimal}
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
    if origin is dict or (isinstance(tp, type) and dataclasses.is_dataclass(tp)):
        # Validated by pydantic as they are (their own field types, not these): checked whole afterwards.
        return Annotated[tp, AfterValidator(_nested)]
    return tp


def _nested(value: Any) -> Any:
    problem = _nested_problem(value, "")
    if problem is not None:
        raise PydanticCustomError("nested_value", problem)
    return value


def _nested_problem(value: Any, where: str) -> str | None:
    """What ``PlainText``, ``Whole`` and ``PlainDecimal`` would refuse anywhere inside a nested value, and where;
    None if nothing."""
    if isinstance(value, str):
        problem = control_character(value)
        return None if problem is None else f"{where or 'the text'} holds {problem}; remove it ({TEXT_RULE})"
    if isinstance(value, int) and not isinstance(value, bool):
        if SMALLEST_WHOLE <= value <= LARGEST_WHOLE:
            return None
        return f"{where or 'the number'} is {value}; a whole number here is {SMALLEST_WHOLE} to {LARGEST_WHOLE}"
    if isinstance(value, Decimal):
        problem = _decimal_problem(value)
        return None if problem is None else f"{where or 'the number'}: {problem}"
    parts: Iterable[tuple[Any, Any]]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
    elif isinstance(value, dict):
        for key in value:
            problem = _nested_problem(key, f"a key of {where or 'the object'}")
            if problem is not None:
                return problem
        parts = value.items()
    elif isinstance(value, list | tuple | set | frozenset):
        parts = enumerate(value)
    else:
        return None
    for name, part in parts:
        problem = _nested_problem(part, f"{where}.{name}" if where else str(name))
        if problem is not None:
            return problem
    return None


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
