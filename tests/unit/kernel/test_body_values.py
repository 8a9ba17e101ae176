"""Command bodies take only values every consumer of their events can apply (services/kernel/bodies.py): text
without NUL or another control character, whole numbers of a read model's ``integer``, moments with their offset —
in the generated bodies, nested values and the hand-written bodies alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from services import system
from services.kernel.bodies import LARGEST_WHOLE, SMALLEST_WHOLE, body_model, to_command
from services.pure.identity import Actor


@dataclass(frozen=True, kw_only=True)
class Seat:
    name: str
    votes: int


@dataclass(frozen=True, kw_only=True)
class Record:
    """A command of every shape a body takes."""

    actor: Actor
    today: date
    name: str
    count: int
    units: tuple[str, ...] = ()
    seat: Seat | None = None
    seats: tuple[Seat, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)
    since: datetime | None = None
    amount: Decimal | None = None
    amounts: dict[str, Any] = field(default_factory=dict)


BODY = body_model(Record)


def refusal(**values: Any) -> dict[str, Any]:
    with pytest.raises(ValidationError) as refused:
        BODY.model_validate({"name": "Li Wei", "count": 3, **values})
    [error] = refused.value.errors()
    return dict(error)


def test_a_string_with_a_nul_or_an_escape_is_refused_naming_the_field_and_the_character() -> None:
    error = refusal(name="a\x00b")
    assert error["loc"] == ("name",) and error["type"] == "text_control_character"
    assert error["msg"] == ("holds the control character U+0000 at position 2; remove it (text may hold tabs and "
                            "line breaks but no other control character)")
    assert refusal(units=["ok", "\x1b[31mred"])["loc"] == ("units", 1)
    assert BODY.model_validate({"name": "line one\nline two\ttabbed\r\n", "count": 1}).name.endswith("\r\n")


def test_nested_values_are_checked_whole_naming_where_inside_the_field() -> None:
    error = refusal(seat={"name": "Zhang\x00", "votes": 1})
    assert error["loc"] == ("seat",) and error["msg"].startswith("name holds the control character U+0000")
    assert refusal(seats=[{"name": "a", "votes": 1}, {"name": "b", "votes": 2**31}])["msg"].startswith(
        "votes is 2147483648; a whole number here is -2147483648 to 2147483647")
    assert refusal(filters={"type": {"in": ["x", "y\x07"]}})["msg"].startswith("type.in.1 holds the control character "
                                                                                  "U+0007")
    assert refusal(filters={"ty\x00pe": "x"})["msg"].startswith("a key of the object holds the control character")
    assert refusal(filters={"n": 2**70})["loc"] == ("filters",)


@pytest.mark.parametrize("count", [2**31, -(2**31) - 1, 2**63, 2**70, 10**30])
def test_a_whole_number_past_an_integer_column_is_refused_before_orjson_or_a_read_model_sees_it(count: int) -> None:
    error = refusal(count=count)
    assert error["loc"] == ("count",) and error["type"] in ("less_than_equal", "greater_than_equal")


@given(st.integers(SMALLEST_WHOLE, LARGEST_WHOLE))
def test_every_whole_number_of_an_integer_column_is_taken(count: int) -> None:
    assert BODY.model_validate({"name": "n", "count": count}).count == count


@pytest.mark.parametrize(("since", "says"), [
    ("2026-06-30T18:00:00", "give a time zone offset, e.g. 2026-06-30T18:00:00+08:00"),
    ("2026-06-30", "write a date and time with its offset"),
    ("1700000000", "write a date and time with its offset"),
    (1700000000, "write a date and time with its offset"),
    ("0001-01-01T00:00:00+14:00", "give a time from 1900-01-01 to 2100-12-31"),
    ("9999-12-31T23:59:59-14:00", "give a time from 1900-01-01 to 2100-12-31"),
])
def test_a_moment_needs_its_offset_and_a_year_of_the_calendar(since: Any, says: str) -> None:
    error = refusal(since=since)
    assert error["loc"] == ("since",) and says in error["msg"], error


def test_a_moment_with_its_offset_is_taken_as_that_instant() -> None:
    body = BODY.model_validate({"name": "n", "count": 1, "since": "2026-06-30T18:00:00+08:00"})
    assert body.since == datetime(2026, 6, 30, 10, tzinfo=UTC)  # type: ignore[attr-defined]


def test_a_checked_body_still_becomes_its_command() -> None:
    body = BODY.model_validate({"name": "n", "count": 1, "units": ["a"], "seats": [{"name": "s", "votes": 2}]})
    command = to_command(Record, body, actor=Actor(subject="t", role="county_admin"),  # type: ignore[arg-type]
                         today=date(2026, 6, 30))
    assert command.units == ("a",) and command.seats == (Seat(name="s", votes=2),)


ODD_DECIMALS = ["3E+4", "0E-999999999", "0E+999999999", "30000." + "0" * 20_000, "1.0000001", "1" * 65]


@pytest.mark.parametrize("amount", ODD_DECIMALS, ids=lambda a: a[:16])
def test_a_decimal_not_written_plainly_is_refused_before_a_numeric_column_sees_it(amount: str) -> None:
    error = refusal(amount=amount)
    assert error["loc"] == ("amount",) and error["type"] == "decimal_plain"
    assert "plain digits" in error["msg"] and amount[:30] not in error["msg"]


def test_a_nested_decimal_not_written_plainly_is_refused_naming_where() -> None:
    error = refusal(amounts={"monthly": Decimal("0E-999999999")})
    assert error["type"] == "nested_value" and "monthly" in error["msg"] and "plain digits" in error["msg"]


@pytest.mark.parametrize("amount", ["1280.50", "0", "-0", "0.005", 30000, 12.5, "99999999999999.999999"])
def test_a_decimal_written_plainly_is_taken_as_written(amount: Any) -> None:
    taken = BODY.model_validate({"name": "n", "count": 1, "amount": amount}).amount
    assert taken == Decimal(str(amount))


# --- every body of the system ----------------------------------------------------------------------------------


def _bodies() -> list[tuple[str, type[BaseModel]]]:
    seen: dict[str, type[BaseModel]] = {}
    for service in system.SERVICES:
        for route in service.routes:
            command = getattr(route, "command", None)
            if command is None:
                continue
            body = route.body or body_model(command, route.body_excludes)
            seen[f"{service.name} {route.method} {route.path}"] = body
    return sorted(seen.items())


def _kinds(prop: dict[str, Any]) -> list[dict[str, Any]]:
    return [prop, *prop.get("anyOf", [])]


def test_there_are_bodies_to_check() -> None:
    assert len(_bodies()) > 80


@pytest.mark.parametrize(("route", "body"), _bodies(), ids=[r for r, _ in _bodies()])
def test_no_string_of_any_command_body_takes_a_nul(route: str, body: type[BaseModel]) -> None:
    props = body.model_json_schema().get("properties", {})
    texts = [name for name, prop in props.items()
             if any(k.get("type") == "string" and "format" not in k and "enum" not in k for k in _kinds(prop))]
    for name in texts:
        with pytest.raises(ValidationError) as refused:
            body.model_validate({name: "ab\x00cdefghijklmnopq"})  # 18: a national id's length
        mine = [e["type"] for e in refused.value.errors() if e["loc"] == (name,)]
        # Refused as text, or as what the string should have been (a decimal, a pattern).
        assert mine in (["text_control_character"], ["decimal_parsing"], ["string_pattern_mismatch"]), (
            route, name, mine)


@pytest.mark.parametrize(("route", "body"), _bodies(), ids=[r for r, _ in _bodies()])
def test_no_whole_number_of_any_command_body_outgrows_an_integer_column(route: str, body: type[BaseModel]) -> None:
    props = body.model_json_schema().get("properties", {})
    for name, prop in props.items():
        for kind in _kinds(prop):
            if kind.get("type") == "integer":
                assert kind["minimum"] >= SMALLEST_WHOLE and kind["maximum"] <= LARGEST_WHOLE, (route, name, kind)


@pytest.mark.parametrize(("route", "body"), _bodies(), ids=[r for r, _ in _bodies()])
def test_no_decimal_of_any_command_body_takes_an_exponent(route: str, body: type[BaseModel]) -> None:
    props = body.model_json_schema().get("properties", {})
    decimals = [name for name, prop in props.items() if any(k.get("type") == "number" for k in _kinds(prop))]
    for name in decimals:
        with pytest.raises(ValidationError) as refused:
            body.model_validate({name: "0E-999999999"})
        mine = [e["type"] for e in refused.value.errors() if e["loc"] == (name,)]
        assert mine in (["decimal_plain"], ["float_type"], ["decimal_type"]), (route, name, mine)


def test_there_are_decimals_to_check() -> None:
    found = 0
    for _, body in _bodies():
        for prop in body.model_json_schema().get("properties", {}).values():
            found += any(k.get("type") == "number" for k in _kinds(prop))
    assert found > 10
