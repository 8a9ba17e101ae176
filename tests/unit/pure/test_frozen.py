"""services/pure/frozen.py: a value made without its constructor is the constructor's value, or refused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.pure.frozen import made


@dataclass(frozen=True, kw_only=True)
class Base:
    a: int


@dataclass(frozen=True, kw_only=True)
class Point(Base):
    b: str
    c: str | None = None


@dataclass(frozen=True, kw_only=True)
class Checked:
    a: int

    def __post_init__(self) -> None:
        if self.a < 0:
            raise ValueError("negative")


def test_made_is_the_constructors_value() -> None:
    value = made(Point, a=1, b="x", c=None)
    assert value == Point(a=1, b="x") and hash(value) == hash(Point(a=1, b="x"))
    assert list(value.__dict__) == ["a", "b", "c"]
    with pytest.raises(AttributeError):
        value.a = 2  # type: ignore[misc]


@pytest.mark.parametrize("values", [{"a": 1, "b": "x"}, {"b": "x", "a": 1, "c": None},
                                    {"a": 1, "b": "x", "c": None, "d": 0}])
def test_every_field_in_declaration_order_or_a_type_error(values: dict[str, object]) -> None:
    with pytest.raises(TypeError, match="in that order"):
        made(Point, **values)


def test_a_class_that_checks_its_values_is_refused() -> None:
    with pytest.raises(TypeError, match="__post_init__"):
        made(Checked, a=-1)
