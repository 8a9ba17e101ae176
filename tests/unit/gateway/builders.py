"""Builders for read-model tests: events with only the fields a test cares about, envelopes, and the
Ops they project read back as rows and assignments."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from services.kernel.events import Envelope
from services.kernel.projection import Op

E = TypeVar("E")
#: The quoted schema the runner passes to every projection.
Q = '"public"'
DAY = date(2024, 3, 1)


def event(cls: type[E], **given: Any) -> E:
    """An event of ``cls`` with ``given`` fields; every other field a plain placeholder of its type."""
    hints = typing.get_type_hints(cls)
    values = {f.name: given[f.name] if f.name in given else _placeholder(f.name, hints[f.name])
              for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**values)


def _placeholder(name: str, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        return None
    if origin is tuple:
        return ()
    if isinstance(kind, type):
        if issubclass(kind, Enum):
            return next(iter(kind))
        if dataclasses.is_dataclass(kind):
            return event(kind)
        if issubclass(kind, bool):
            return False
        if issubclass(kind, int):
            return 0
        if issubclass(kind, Decimal):
            return Decimal(0)
        if issubclass(kind, date):
            return DAY
        if issubclass(kind, str):
            return f"{name}-x"
    raise TypeError(f"no placeholder for {name}: {kind}")


def envelope(position: int = 42) -> Envelope:
    """A stored event at ``position`` (projections read nothing else of the envelope)."""
    return Envelope(id=uuid.uuid4(), source="test", type="gb.test.event.v1", time=datetime(2024, 3, 1, tzinfo=UTC),
                    subject="s", stream_id="s", stream_type="test", stream_version=1, actor="tester",
                    correlation_id="c", causation_id=None, data=b"{}", prev_hash=None, hash=b"h", position=position)


def target(op: Op) -> str:
    """The table an Op writes (``INSERT INTO`` or ``UPDATE``)."""
    found = re.match(rf"(?:INSERT INTO|UPDATE) {re.escape(Q)}\.(\w+)", op[0])
    assert found, f"not a write to a read-model table: {op[0]}"
    return found.group(1)


def _arg(op: Op, text: str) -> Any:
    text = text.strip()
    placeholder = re.fullmatch(r"\$(\d+)(?:::[\w\[\]]+)?", text)
    if placeholder:
        return op[1][int(placeholder.group(1)) - 1]
    return text.strip("'")


def row(op: Op) -> dict[str, Any]:
    """An ``INSERT … VALUES`` Op as the row it inserts: column → value."""
    found = re.match(r"INSERT INTO \S+ \(([^)]*)\)\s*VALUES\s*\(([^)]*)\)", op[0])
    assert found, f"not an INSERT … VALUES: {op[0]}"
    columns = [c.strip() for c in found.group(1).split(",")]
    values = found.group(2).split(",")
    assert len(columns) == len(values), op[0]
    return {c: _arg(op, v) for c, v in zip(columns, values, strict=True)}


def assigned(op: Op) -> dict[str, Any]:
    """An ``UPDATE … SET … WHERE key = $1`` Op as the columns it sets (literals and arguments), plus the key."""
    found = re.match(r"UPDATE \S+ SET (.*) WHERE (\w+) = \$1$", op[0])
    assert found, f"not an UPDATE by key: {op[0]}"
    sets: dict[str, Any] = {found.group(2): op[1][0]}
    for column, value in re.findall(r"(\w+) = ((?:CASE .*? END)|[^,]+)", found.group(1)):
        sets[column] = _arg(op, value)
    return sets
