"""What is shaped like a phone or ID number, however it is written, and what is not (services/pure/personal_text.py).

The refusals matter at their edges — +86 or not, spaces and dashes anywhere, full-width digits, an ID number that
ends in X — and so do the passes: a bureau's own numbers (RS-2026-001, a 20-digit policy number) go through.
"""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.pure.errors import DomainError
from services.pure.personal_text import ID_NUMBER, PHONE, not_personal, personal_shape

#: Text around a number: letters (x and X too), Chinese, punctuation — no digit, nothing NFKC makes one.
_AROUND = st.text(alphabet="电话联系人请打给张先生abcxyzXYZ:：，。;！? 、", max_size=8)
_SEPARATORS = st.sampled_from(["", "", "", " ", "-", "  ", " - ", ".", "\u3000", "－", "\u200b"])
_FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def _spread(digits: str, separators: list[str]) -> str:
    """``digits`` with ``separators[i]`` after the i-th digit (as people group a number, or not)."""
    return "".join(d + (separators[i] if i < len(digits) - 1 else "") for i, d in enumerate(digits))


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    written = _spread(number, draw(st.lists(_SEPARATORS, min_size=10, max_size=10)))
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "86", "86-", "0086", "(+86) ", "+86-"]))
    text = prefix + written
    if draw(st.booleans()):
        text = text.translate(_FULL_WIDTH)
    return draw(_AROUND) + text + draw(_AROUND)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=date(1920, 1, 1), max_value=date(2025, 12, 31)))
    region = draw(st.from_regex(r"[1-6][0-9]{5}", fullmatch=True))
    body = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    number = body + draw(st.sampled_from("0123456789XXXx"))
    grouping = draw(st.sampled_from(["none", "6-8-4", "any"]))
    if grouping == "6-8-4":
        sep = draw(st.sampled_from([" ", "-", " - "]))
        number = f"{number[:6]}{sep}{number[6:14]}{sep}{number[14:]}"
    elif grouping == "any":
        number = _spread(number, draw(st.lists(_SEPARATORS, min_size=17, max_size=17)))
    if draw(st.booleans()):
        number = number.translate(_FULL_WIDTH)
    return draw(_AROUND) + number + draw(_AROUND)


@given(mobiles())
def test_an_11_digit_mobile_is_found_with_or_without_86_and_however_grouped(text: str) -> None:
    # Found is what matters; 0086 and a mobile are also 15 digits, which may read as a first-generation ID number.
    assert personal_shape(text) is not None, text


@given(id_numbers())
def test_an_18_character_id_number_is_one_whatever_its_check_character_or_grouping(text: str) -> None:
    assert personal_shape(text) == ID_NUMBER, text


@pytest.mark.parametrize(("text", "shape"), [
    ("13812345678", PHONE), ("138 1234 5678", PHONE), ("+86-138-1234-5678", PHONE), ("(+86) 138.1234.5678", PHONE),
    ("8613812345678", PHONE), ("１３８１２３４５６７８", PHONE), ("11010519491231002X", ID_NUMBER),
    ("110105 19491231 002x", ID_NUMBER), ("１１０１０５１９４９１２３１００２Ｘ", ID_NUMBER),
])
def test_each_shape_is_named(text: str, shape: str) -> None:
    assert personal_shape(text) == shape


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(1999, 12, 31)), st.integers(0, 999))
def test_a_first_generation_15_digit_id_number_is_one_too(born: date, sequence: int) -> None:
    assert personal_shape(f"旧证 320102{born:%y%m%d}{sequence:03d}") == ID_NUMBER


@pytest.mark.parametrize("text", [
    "0574-8770-0000", "(010) 6512 3456", "057487700000", "+86 574 8770 0000", "021-6234 5678", "0851 8812345",
])
def test_a_landline_with_its_area_code_is_a_phone(text: str) -> None:
    assert personal_shape(text) == PHONE


@pytest.mark.parametrize("text", [
    "after mediation on 2026-03-06, call 13812345678", "tel13812345678", "13812345678x", "138\u200b1234\u200b5678",
    "身份证：11010519491231002X，已受理",
])
def test_a_number_inside_other_text_or_behind_letters_is_still_found(text: str) -> None:
    assert personal_shape(text) is not None


@given(st.from_regex(r"[A-Z]{2,4}(-[A-Z]{2})?-20[0-9]{2}-[0-9]{1,5}", fullmatch=True))
def test_a_bureaus_own_number_is_not_personal(number: str) -> None:
    assert personal_shape(number) is None


@given(st.from_regex(r"[0-9]{6}", fullmatch=True), st.integers(0, 99).filter(lambda c: c not in (19, 20)),
       st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_an_18_digit_number_without_a_birth_date_in_it_is_not_an_id_number(head: str, century: int,
                                                                            tail: str) -> None:
    # A bureau's policy number of 18 digits is refused only when its 7th-14th digits read as a birth date.
    assert personal_shape(f"{head}{century:02d}{tail}") is None


@pytest.mark.parametrize("text", [
    "RS-QT-2026-001", "PDAA20201101000012345", "(2026)黔0102证字第1234号", "2026-03-06 2026-04-07 2026-05-08",
    "30000.00", "0574-8700", "0574-0000", "0000", "劳动保障局就业科", "unpaid wages paid after mediation",
    "Dongcun village 2", "masonry", "Dongguan, Guangdong", "", "138", "1381234567", "138123456789",
])
def test_ordinary_text_and_numbers_pass(text: str) -> None:
    assert personal_shape(text) is None


def test_a_long_text_of_digit_groups_is_read_in_linear_time() -> None:
    # Prose is passed over at C speed; a run of digit groups costs each group one bounded attempt per shape.
    started = time.perf_counter()
    assert personal_shape("第3组 2026年 RS-2026-001 " * 10_000) is None
    assert personal_shape("0 " * 50_000) is None
    assert time.perf_counter() - started < 5


@given(st.one_of(mobiles(), id_numbers()))
def test_the_refusal_names_the_field_and_what_to_record_but_never_the_value(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        not_personal(text, "note", instead="what the case is about, in words")
    detail = refused.value.detail
    assert refused.value.status == 422
    assert detail.startswith("note holds what looks like") and detail.endswith("what the case is about, in words")
    assert not re.search(r"\d", detail), detail


def test_text_that_passes_is_returned_unchanged() -> None:
    assert not_personal(" RS-2026-001 ", "document_number", instead="x") == " RS-2026-001 "
