"""The pure checks that keep a value no consumer can apply out of every command: text without control characters
(services/pure/text.py), money bounded and to the fen (services/pure/money.py), a month of the calendar the rules
know (services/pure/dates.py)."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.pure.dates import FIRST_DAY, LAST_DAY, first_day, shift_month, year_month
from services.pure.errors import DomainError
from services.pure.money import MOST_YUAN, yuan
from services.pure.text import control_character

# --- text -----------------------------------------------------------------------------------------------------


def _refused(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" and ch not in "\t\n\r"


@given(st.text())
@example("a\x00b")
@example("\x1b[31mred")
@example("tab\tline\nreturn\r")
@example("\x7f\x9b")
@example("")
def test_text_is_refused_exactly_when_it_holds_a_control_character_other_than_tab_and_line_breaks(text: str) -> None:
    problem = control_character(text)
    first = next((i for i, ch in enumerate(text) if _refused(ch)), None)
    if first is None:
        assert problem is None
    else:
        assert problem == f"the control character U+{ord(text[first]):04X} at position {first + 1}"


def test_the_refusal_names_the_character_and_where_it_is() -> None:
    assert control_character("a\x00b") == "the control character U+0000 at position 2"
    assert control_character("名字\x1b[31m") == "the control character U+001B at position 3"
    assert control_character("第一行\n第二行\t备注\r\n") is None
    assert control_character("Zhang\u00a0San \u200b\U0001f600") is None  # a no-break space is not a control


# --- money ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0", "0.5", "12.50", "4000", "1250000.00", str(MOST_YUAN), "-0", "0.00"])
def test_plain_amounts_to_the_fen_within_the_bound_pass_unchanged(amount: str) -> None:
    assert yuan(Decimal(amount), "amount") is not None
    assert str(yuan(Decimal(amount), "amount")) == str(Decimal(amount))


@pytest.mark.parametrize(("amount", "says"), [
    ("1e999999", "1E+999999 is more than 1,000,000,000,000 yuan, beyond any amount recorded here; check the"),
    ("1" * 40, "is more than 1,000,000,000,000 yuan"),
    ("-0.01", "-0.01 is negative; amounts are at least 0 yuan and at most 1,000,000,000,000"),
    ("NaN", "plain digits"),
    ("-Infinity", "plain digits"),
    ("12.505", "more than two decimals; amounts are in yuan to the fen, e.g. 12.50"),
    ("12.500", "more than two decimals"),
    ("1e-999999", "more than two decimals"),
    ("0E-999999", "more than two decimals"),
    ("1E+3", "written with an exponent; write the amount in plain digits, e.g. 1000"),
    ("0E+999999", "written with an exponent; write the amount in plain digits, e.g. 0"),
])
def test_amounts_no_store_could_take_are_refused_saying_what_to_write(amount: str, says: str) -> None:
    with pytest.raises(DomainError, match="the base") as refused:
        yuan(Decimal(amount), "the base")
    assert says in refused.value.detail


def test_a_positive_amount_refuses_zero_and_a_service_may_bound_lower() -> None:
    with pytest.raises(DomainError, match="the amount must be a positive amount, more than 0 yuan; got 0"):
        yuan(Decimal(0), "the amount", positive=True)
    assert yuan(Decimal("0.01"), "the amount", positive=True) == Decimal("0.01")
    with pytest.raises(DomainError, match=r"the fee 1000\.01 is more than 1,000 yuan"):
        yuan(Decimal("1000.01"), "the fee", most=Decimal(1000))


@given(st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(lambda digits, exponent: Decimal((0, tuple(digits), exponent)),
              st.lists(st.integers(0, 9), min_size=1, max_size=60), st.integers(-999_999, 999_999)),
))
def test_any_amount_is_taken_or_refused_as_a_rule_never_with_an_error_of_decimal(value: Decimal) -> None:
    try:
        taken = yuan(value, "amount")
    except DomainError:
        return
    assert taken.is_finite() and 0 <= taken <= MOST_YUAN
    exponent = taken.as_tuple().exponent
    assert isinstance(exponent, int) and -2 <= exponent <= 0
    assert taken == taken.quantize(Decimal("0.01"))  # the dues rounding step cannot overflow on it


# --- months ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["1900-01", "2026-07", " 2026-07 ", "2100-12"])
def test_a_month_of_the_calendar_is_read_without_its_spaces(month: str) -> None:
    assert year_month(month, "owed_from") == month.strip()


@pytest.mark.parametrize("month", ["0000-01", "1899-12", "2101-01", "9999-12", "\u0662\u0660\u0662\u0666-01",
                                   "２０２６-01", "2026-13", "2026-00", "2026-7", "2026-07\n-", "202607", "", " "])
def test_a_month_outside_the_calendar_or_not_in_ascii_digits_is_refused_naming_the_field(month: str) -> None:
    with pytest.raises(DomainError, match=r"owed_from must be a year and month like 2026-07, from 1900-01 to "
                                          r"2100-12, not "):
        year_month(month, "owed_from")


@given(st.text(alphabet=st.sampled_from("0123456789-٠١٢ \n"), max_size=9))
@example("0000-01")
@example("2026-02")
def test_every_month_taken_has_a_first_day_in_the_days_a_command_may_name(text: str) -> None:
    try:
        month = year_month(text, "month")
    except DomainError:
        return
    assert FIRST_DAY <= first_day(month) <= LAST_DAY
    assert first_day(shift_month(month, 1)) > first_day(month)


def test_the_months_a_command_may_name_are_those_of_its_days() -> None:
    assert (date(1900, 1, 1), date(2100, 12, 31)) == (FIRST_DAY, LAST_DAY)
    assert year_month(f"{FIRST_DAY:%Y-%m}", "m") == "1900-01"
    assert year_month(f"{LAST_DAY:%Y-%m}", "m") == "2100-12"
