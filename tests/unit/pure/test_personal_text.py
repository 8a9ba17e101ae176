"""What is shaped like a phone, ID, bank card, passport or permit number, however it is written, and what is not
(services/pure/personal_text.py).

The refusals matter at their edges — +86 or not, spaces and dashes anywhere, full-width digits, Chinese numerals,
an ID number that ends in X, a card's check digit — and so do the passes: a bureau's own numbers (RS-2026-001, a
20-digit policy number, a 16-digit receipt number failing Luhn), and Chinese that merely holds numerals (第一,
三月五日, 二〇二六年三月五日) go through.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.pure.errors import DomainError
from services.pure.personal_text import (
    BANK_CARD,
    ID_NUMBER,
    PASSPORT,
    PHONE,
    TRAVEL_PERMIT,
    not_personal,
    personal_shape,
)

#: Text around a number: letters (x and X too), Chinese, punctuation — no digit, nothing NFKC makes one.
_AROUND = st.text(alphabet="电话联系人请打给张先生abcxyzXYZ:：，。;！? 、", max_size=8)
_SEPARATORS = st.sampled_from(["", "", "", " ", "-", "  ", " - ", ".", "\u3000", "－", "\u200b"])
_FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def _spread(digits: str, separators: list[str]) -> str:
    """``digits`` with ``separators[i]`` after the i-th digit (as people group a number, or not)."""
    return "".join(d + (separators[i] if i < len(digits) - 1 else "") for i, d in enumerate(digits))


def _an_amount(written: str) -> bool:
    """Whether a number is written as an amount is (138123456.78, +86130000000.0): read as one, by design."""
    plain = unicodedata.normalize("NFKC", written).replace("\u200b", "").lstrip("+(")
    return re.fullmatch(r"[0-9]{1,12}[.][0-9]{1,2}", plain) is not None


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    written = _spread(number, draw(st.lists(_SEPARATORS, min_size=10, max_size=10)))
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "86", "86-", "0086", "(+86) ", "+86-"]))
    text = prefix + written
    assume(not _an_amount(text))
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


#: How each digit may be written: Arabic, Chinese, financial, 幺 for 1, ○ for 〇 — mixed within one number too.
_NUMERALS = {"0": "0〇零○", "1": "1一壹幺", "2": "2二贰貳", "3": "3三叁參", "4": "4四肆", "5": "5五伍", "6": "6六陆陸",
             "7": "7七柒", "8": "8八捌", "9": "9九玖"}


_AS_ARABIC = str.maketrans({n: d for d, ns in _NUMERALS.items() for n in ns})


def _in_numerals(draw: st.DrawFn, digits: str) -> str:
    return "".join(draw(st.sampled_from(_NUMERALS[d])) for d in digits)


@st.composite
def numeral_mobiles(draw: st.DrawFn) -> str:
    """A mobile written in Chinese numerals, or some of its digits so (138一二三四5678), grouped or not."""
    number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    written = _in_numerals(draw, number)
    spread = "".join(c + (draw(_SEPARATORS) if i < 10 else "") for i, c in enumerate(written))
    assume(not _an_amount(spread.translate(_AS_ARABIC)))
    return draw(_AROUND) + draw(st.sampled_from(["", "+86 ", "(+86) "])) + spread + draw(_AROUND)


def luhn_valid(digits: str) -> bool:
    """The Luhn check, written out plainly here so the module's running totals are tested against it."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _luhn_completed(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def _birth_date_at_seven(digits: str) -> bool:
    """An 18-digit number whose 7th-8th digits are 19 or 20 may read as an ID number, which is named first."""
    return len(digits) == 18 and digits[6:8] in ("19", "20")


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """16-19 digits passing Luhn, as UnionPay (62, 81), Visa (4), JCB (3528-3589), Diners (36, 300-305) and
    Mastercard (51-55, 2221-2720: 16 digits only) number them."""
    prefix = draw(st.sampled_from(["62", "622202", "81", "4", "51", "55", "2221", "2720", "3528", "3589", "36",
                                   "300", "305"]))
    mastercard = "51" <= prefix[:2] <= "55" or prefix in ("2221", "2720")
    length = 16 if mastercard else draw(st.integers(16, 19))
    number = _luhn_completed(prefix + draw(st.from_regex(f"[0-9]{{{length - len(prefix) - 1}}}", fullmatch=True)))
    assume(not _birth_date_at_seven(number))
    return number


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    """A card number as people write it: unbroken, or in fours split by spaces or dashes, full-width or not."""
    number = draw(card_numbers())
    separator = draw(st.sampled_from(["", " ", "-", "  ", " - "]))
    written = separator.join(number[i:i + 4] for i in range(0, len(number), 4))
    if draw(st.booleans()):
        written = written.translate(_FULL_WIDTH)
    return draw(_AROUND) + written + draw(_AROUND)


#: Text around a passport or permit number: no letter or digit touches a token.
_AROUND_TOKEN = st.text(alphabet="护照号码通行证：:，。;！? 、()", max_size=6)
#: What names the document: a passport or permit number is refused only in a text that says what it is.
_NAMED = st.sampled_from(["护照", "护照号：", "通行证 ", "往来港澳通行证", "旅行证", "回乡证", "passport ",
                          "Permit No. "])
_SERIES = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _full_width(text: str) -> str:
    """ASCII letters and digits as their full-width forms (U+FF10-U+FF5A), which NFKC reads back."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


@st.composite
def passports(draw: st.DrawFn) -> str:
    """A Chinese passport's or travel permit's number (see the module), in capitals or not, full-width or not, in a
    text naming the document."""
    digits = draw(st.from_regex(r"[0-9]{10}", fullmatch=True))
    series = draw(st.sampled_from(_SERIES))
    number = draw(st.sampled_from([
        f"E{digits[:8]}", f"E{series}{digits[:7]}", f"G{digits[:8]}", f"SE{digits[:7]}", f"K{digits[:8]}",
        f"C{digits[:8]}", f"C{series}{digits[:7]}", f"L{digits[:8]}", f"H{digits[:8]}", f"M{digits}",
    ]))
    if draw(st.booleans()):
        number = number.lower()
    if draw(st.booleans()):
        number = _full_width(number)
    return draw(_NAMED) + draw(_AROUND_TOKEN) + number + draw(_AROUND_TOKEN)


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
    # A bureau's policy number of 18 digits is refused only when its 7th-14th digits read as a birth date, or
    # when it passes Luhn and starts like a bank card (below).
    number = f"{head}{century:02d}{tail}"
    assume(not luhn_valid(number))
    assert personal_shape(number) is None


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


@given(numeral_mobiles())
def test_a_mobile_written_in_chinese_numerals_or_partly_so_is_a_phone(text: str) -> None:
    assert personal_shape(text) is not None, text


@pytest.mark.parametrize(("text", "shape"), [
    ("一三八一二三四五六七八", PHONE), ("壹叁捌壹贰叁肆伍陆柒捌", PHONE), ("138一二三四5678", PHONE),
    ("幺三八 幺二三四 五六七八", PHONE), ("一三八-〇〇一二-三四五六", PHONE), ("１３８一二三四５６７８", PHONE),
    ("〇五七四-八七七〇〇〇〇〇", PHONE), ("（〇一〇）六五一二 三四五六", PHONE), ("零五七四 捌柒柒零零零零零", PHONE),
    ("联系人张三13812345678", PHONE), ("王五138一二三四5678", PHONE), ("张三11010519491231002X", ID_NUMBER),
    ("一一〇一〇五一九四九一二三一〇〇二X", ID_NUMBER), ("身份证号一一〇一〇五 一九四九一二三一 〇〇二Ｘ", ID_NUMBER),
])
def test_numbers_in_chinese_numerals_are_read_as_digits(text: str, shape: str) -> None:
    assert personal_shape(text) == shape


@pytest.mark.parametrize("text", [
    "第一", "三月五日", "十二", "一二三", "一二三四五六七八九十", "第一组第二组第三组", "一五一十地说了", "三三两两",
    "九九八十一", "王五去了东莞", "幺妹在广州打工", "大陆居民", "打零工", "壹万贰仟叁佰元整", "二〇二六年三月五日",
    "二〇二六〇三〇五", "二○二六年十二月三十一日", "一九九八年十月一日", "二〇二六年三月五日至二〇二六年四月七日",
    "一、二、三、四、五、六、七、八、九、十", "两两三三", "三十一岁，两个孩子", "第三期第十二次会议",
    "138****5678", "学习二十大精神", "一二九运动", "一二·九运动 八一南昌起义",
])
def test_chinese_that_merely_holds_numerals_passes(text: str) -> None:
    assert personal_shape(text) is None


_MONTHS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]


def _chinese_number(n: int) -> str:
    """1-31 as written in words: 五, 十二, 二十一, 三十."""
    tens, ones = divmod(n, 10)
    words = "〇一二三四五六七八九"
    return ("" if tens < 2 else words[tens]) + ("十" if tens else "") + ("" if ones == 0 else words[ones])


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)),
       st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)),
       st.sampled_from(["words", "compact", "dotted"]), st.sampled_from(["至", "-", "—", " ", "，"]),
       st.sampled_from(["〇", "○", "零"]))
def test_a_date_written_in_chinese_numerals_is_never_refused(first: date, second: date, form: str, between: str,
                                                            zero: str) -> None:
    def written(day: date) -> str:
        digits = str.maketrans("0123456789", zero + "一二三四五六七八九")
        if form == "words":
            return f"{day.year}".translate(digits) + f"年{_MONTHS[day.month - 1]}月{_chinese_number(day.day)}日"
        if form == "compact":
            return f"{day:%Y%m%d}".translate(digits)
        return f"{day:%Y.%m.%d}".translate(digits)

    text = f"于{written(first)}{between}{written(second)}返乡"
    assert personal_shape(text) is None, text


@given(bank_cards())
def test_a_bank_card_number_passing_luhn_is_one_however_grouped(text: str) -> None:
    assert personal_shape(text) == BANK_CARD, text


@given(card_numbers(), st.integers(1, 9))
def test_a_16_to_19_digit_number_failing_luhn_is_not_a_card(number: str, wrong_by: int) -> None:
    # A policy or receipt number: the same digits with another check digit.
    near = number[:-1] + str((int(number[-1]) + wrong_by) % 10)
    assert personal_shape(near) is None, near


@given(st.from_regex(r"[1-9][0-9]{15,18}", fullmatch=True))
def test_a_16_to_19_digit_number_is_a_card_only_when_it_passes_luhn(number: str) -> None:
    assume(not _birth_date_at_seven(number) and not luhn_valid(number))
    assert personal_shape(number) is None


@pytest.mark.parametrize(("text", "shape"), [
    ("6222 0212 3456 7890 128", BANK_CARD), ("6222-0212-3456-7890-128", BANK_CARD), ("6222021234567890128", BANK_CARD),
    ("卡号：4111 1111 1111 1111", BANK_CARD), ("5500 0000 0000 0004", BANK_CARD), ("6212 2617 0200 7654 38", BANK_CARD),
    ("６２２２０２１２３４５６７８９０１２８", BANK_CARD), ("六二二二〇二一二三四五六七八九〇一二八", BANK_CARD),
])
def test_each_card_is_named(text: str, shape: str) -> None:
    assert personal_shape(text) == shape


@pytest.mark.parametrize("text", [
    "4111 1111 1111 1112", "6222021234567890123", "2026030612345678", "9152010270950000012",
    "2026-03-06 2026-04-07 2026-05-08", "PDAA20201101000012345", "1000 2000 3000 4000", "12345678901234567890",
])
def test_long_numbers_that_are_no_card_pass(text: str) -> None:
    assert personal_shape(text) is None


@given(passports())
def test_a_passport_or_permit_number_standing_alone_is_found(text: str) -> None:
    assert personal_shape(text) in (PASSPORT, TRAVEL_PERMIT), text


@pytest.mark.parametrize(("text", "shape"), [
    ("护照E12345678", PASSPORT), ("护照 EA1234567", PASSPORT), ("护照号码EF1260892", PASSPORT),
    ("passport ea1234567", PASSPORT), ("护照：G12345678", PASSPORT), ("护照号：E12345678。", PASSPORT),
    ("passport No.EA1234567", PASSPORT), ("护照 Ｅ１２３４５６７８", PASSPORT), ("Passport SE1234567", PASSPORT),
    ("公务护照 DE1234567", PASSPORT), ("PASSPORT PE1234567", PASSPORT), ("特区护照 K12345678", PASSPORT),
    ("澳门特区护照 MA1234567", PASSPORT), ("护照E一二三四五六七八", PASSPORT), ("护照号E12345678", PASSPORT),
    ("通行证 C12345678", TRAVEL_PERMIT), ("往来港澳通行证 CA0000001", TRAVEL_PERMIT),
    ("往来港澳通行证CB1234567", TRAVEL_PERMIT), ("往来台湾通行证 L12345678", TRAVEL_PERMIT),
    ("通行证H12345678", TRAVEL_PERMIT), ("permit M1234567801", TRAVEL_PERMIT), ("回乡证 H12345678 01", TRAVEL_PERMIT),
    ("旅行证 C12345678", TRAVEL_PERMIT),
])
def test_each_document_is_named(text: str, shape: str) -> None:
    assert personal_shape(text) == shape


@pytest.mark.parametrize("text", [
    "E12345678", "EA1234567", "G12345678", "SE1234567", "DE1234567", "K12345678", "MA1234567", "C12345678",
    "CA0000001", "L12345678", "H12345678", "M1234567801", "国药准字H20003263", "合同编号C20260001", "编号E20260001",
    "项目编号 K20260312", "证书编号 CA1234567", "DE2026001", "MA2026001",
])
def test_a_passport_or_permit_shape_in_a_text_not_naming_one_is_a_reference(text: str) -> None:
    # A letter, a year and a sequence is how drug approvals, contracts and projects are numbered here.
    assert personal_shape(text) is None


@pytest.mark.parametrize("text", [
    "E1234567", "E123456789", "EA12345678", "EA123456", "EI1234567", "EO1234567", "XE12345678", "E12345678X",
    "RS-E12345678", "E12345678-01", "HT_C12345678", "C2026-0001", "HT20260001", "G1234", "G75 高速", "GB11643",
    "H1234567", "H123456789", "M12345678901", "FY-2026-051", "SL-2026-0012", "RS-QT-2026-001", "CA000000",
])
def test_a_reference_holding_letters_and_digits_is_not_a_passport(text: str) -> None:
    # Even in a text naming a passport: the shape is exact, and a whole token.
    assert personal_shape(f"护照 {text}") is None


@given(st.from_regex(r"[A-Z]{2,4}", fullmatch=True), st.sampled_from(["-", "_"]), passports())
def test_a_passport_shape_joined_to_a_reference_is_part_of_it(head: str, joiner: str, number: str) -> None:
    token = re.findall("[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]*[0-9０-９]+", number)[-1]  # the number, not the words naming it
    digits = re.sub("^[A-Za-zＡ-Ｚａ-ｚ]+", "", token)
    assume(personal_shape(digits) is None)  # its digits are no phone of their own (M + 0102000000 would be)
    assert personal_shape(f"护照 {head}{joiner}{token}") is None


@given(st.one_of(numeral_mobiles(), bank_cards(), passports()))
def test_every_new_shape_is_refused_without_repeating_the_value(text: str) -> None:
    with pytest.raises(DomainError) as refused:
        not_personal(text, "reason", instead="why, in words")
    assert refused.value.detail.startswith("reason holds what looks like")
    assert not re.search(r"\d", refused.value.detail)


@given(st.uuids(), st.sampled_from(["{}", "{.hex}", "lead {} arrived", "/gb/investment#{}", "{.hex}{.hex}"]))
def test_an_id_the_system_made_is_no_number(made: uuid.UUID, written: str) -> None:
    # One random UUID in about 140 holds a phone's shape (8a1fe153-9323-4533-… reads 153 9323 4533).
    assert personal_shape(written.format(made, made)) is None


@pytest.mark.parametrize("text", [
    "lead 8a1fe153-9323-4533-924a-ed5bc42a34bb, call 13812345678", "8a1fe153-9323-4533-924a-ed5bc42a34bb13812345678x",
    "tel 153-9323-4533", "654ff0129822494ba30bddac895952d 13812345678",
])
def test_a_number_beside_a_system_id_is_still_found(text: str) -> None:
    assert personal_shape(text) == PHONE


#: What a county writes in its free text, all of which a review found refused or checked passed: branches,
#: addresses, industry codes, topics, lists of dates, amounts, letters' numbers, invoice codes (0 + Zhejiang's 3302),
#: social credit codes, plates, drug approval and contract numbers (a letter, a year, a sequence), scores, and
#: Chinese numerals. None is anyone's number.
_COUNTY_TEXT = [
    "中共宁波市鄞州区天童南路社区第一支部委员会", "中共宁波市鄞州区委组织部", "一二九社区党支部", "五一村党总支",
    "八一村第二党支部", "深圳市南山区科技园12栋1801室", "宁波市鄞州区天童南路588号",
    "宁波市海曙区中山西路138号1501室", "杭州市西湖区文三路90号东部软件园1号楼13层1302室",
    "浙江省宁波市北仑区新碶街道明州路1188号2幢1801", "宁波市江北区 156 号 3 幢 1802 室",
    "北京市朝阳区建国路88号SOHO现代城C座1801", "上海市浦东新区张江路 1388 弄 5 号 1502",
    "鄞州区首南街道学府路1号 1幢 1单元 1801", "宁波市鄞州区 1 号楼 2 单元 1803 室 (邮编 315100)",
    "宁波市鄞州区天童南路588号宁波商会国贸中心A座1801-1803室", "户籍地址：浙江省宁海县跃龙街道一市镇一市村一组",
    "C3914 计算机制造", "I6510 软件开发", "国民经济行业分类 C3914", "新一代信息技术", "学习二十大精神",
    "学习贯彻党的二十届三中全会精神", "三会一课", "两学一做", "主题党日：七一建党节",
    "庆祝中国共产党成立一百零五周年", "一九二一年至二〇二六年党史学习", "二〇二六年三月五日支部大会",
    "二〇二五—二〇二六年度民主评议", "一二·九运动纪念", "九一八事变九十五周年", "2026-03-05", "2026年3月5日",
    "2026.03.05 14:30", "2026-03-06 至 2026-12-31", "2025.12.01—2026.03.31", "2026/3/15 2026/3/22 2026/3/29",
    "学习时间：3/15 3/22 3/29 4/5 4/12", "会议时间 20260305 14:00-16:00", "2026-03-05 2026-04-05 2026-05-05",
    "20260305-20260630", "人民币五万元", "人民币伍拾万元整", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分",
    "投资额150000000.00元", "投资额 180000000.00 元", "1,500,000.00元", "12345678.90元", "计划投资1.5亿元",
    "到位资金 135000000.00", "合同金额：160000000.00元（壹亿陆仟万元整）", "注册资本 5000 万元",
    "2026年度党费 1200.00 元", "甬组介字〔2026〕第0012号", "鄞组通〔2026〕15号", "浙组发〔2026〕3号",
    "介绍信编号 2026-0012", "RS-2026-001", "(2026)第0012号", "甬党建〔2026〕1号 2026-03-05", "收据编号 No.0012345",
    "发票代码 033021900111 发票号码 12345678", "发票代码033021900111", "发票号码 24332000000012345678",
    "电子发票 25332000000123456789", "交易流水号 2026030512345678901", "订单号 4200002026202603051234567890",
    "党费收据 NO.20260305001", "银行回单 流水号 0574202603050001", "91330200MA2AXXXX0X", "91330212MA2H3B0R7P",
    "913302001440624670", "513302005013245672", "813302007654321098", "123302004195012345", "12330200419501234X",
    "52330212MJ9876543A", "统一社会信用代码 31330000123456789X", "513302005013245670", "513302005013245671",
    "513302005013245673", "513302005013245674", "513302005013245675", "14406246-7", "MA2AXXXX-0",
    "组织机构代码 25412345-6", "浙B12345", "浙B·12345", "浙BD12345", "浙B D12345", "浙BF12345", "QQ群 123456789",
    "QQ 1234567890", "微信号 wxid_abc1234567", "微信 zhangsan1990", "企业微信群 2026 第一期", "国药准字H20003263",
    "国药准字Z20025001", "编号E20260001", "合同编号C20260001", "项目编号 K20260312", "备案号 L20260101",
    "档案号 G20260001", "批次 M20260315", "证书编号 CA1234567", "航班 CA1234 2026-03-05", "项目代码 PE2026001",
    "标准 SE2026001", "CN2026001", "EN1234567", "ES2026001", "DE2026001", "单号 e20260305", "工单 H2026030501",
    "发文 MA2026001", "挂职干部 2026-2028 年", "选派第12批 3名干部", "第十二批选派干部 12 人",
    "编号 2026 001 002 003", "考核成绩：86 92 78 85 90 88", "得分 95/88/76/90/85/79", "排名 1 2 3 4 5 6 7 8 9 10 11",
    "第1、2、3、4、5、6、7、8、9、10期", "15 20 30 40 50 60 70 80 90 100", "学时 16 16 16 16 16 16", "邮编315100",
    "邮编 315100 电话见档案", "315100 宁波", "ISBN 978-7-01-012345-6", "ISBN 9787010123456", "1/2/3/4/5/6/7/8/9/10",
    "第138期", "2026年第13期第8批", "①②③④⑤⑥⑦⑧⑨⑩", "（一）（二）（三）（四）（五）（六）（七）（八）（九）（十）",
    "附件1 2 3 4 5 6 7 8 9 10 11", "GB/T 19001-2016 ISO 9001:2015", "不动产权第0123456号",
    "浙(2026)宁波市(鄞州)不动产权第0123456号", "不动产单元号 330212001001GB00001F00010001",
    "土地证 甬鄞国用(2026)第0123456号", "经纬度 29.8683 121.5440", "坐标 121.5440,29.8683", "面积 13 500.50 平方米",
    "GDP 1 600 000 000 000", "人口 9 618 000", "一二三四五六七八九", "第一二三四五六七八九〇期",
    "○是 ○否 ○是 ○否 ○是 ○否 ○是 ○否 ○是 ○否", "□是 □否", "一、二、三、四、五、六、七、八、九、十、十一",
    "（一）（二）（三）（四）（五）（六）（七）（八）（九）（十）（十一）",
    "(一)(二)(三)(四)(五)(六)(七)(八)(九)(十)", "一 二 三 四 五 六 七 八 九 〇 一", "二〇二五.一〇—二〇二六.〇六",
    "二〇二六.〇三.〇五—二〇二六.〇六.三〇", "一九四九—二〇二六", "1.1 1.2 1.3 1.4 1.5 1.6", "第一条 第二条",
    "三三制 四四 五五", "一一〇 一二〇 一一九", "一一〇、一二〇、一一九", "报警一一〇 急救一二〇 火警一一九",
    "一三五七九二四六八〇", "〇〇一 〇〇二 〇〇三 〇〇四", "No.〇〇一二三四五六七八", "九一八 一二九 五四 七一 八一",
    "七一 八一 十一 五一 三八 五四", "学习《习近平谈治国理政》第一卷 第二卷 第三卷 第四卷", "五 四 三 二 一", "幺",
    "四川省成都市一环路南一段24号", "浙江省宁波市鄞州区首南街道一二三四五号", "一二〇急救",
    "三八红旗手 五四青年 六一儿童", "一九八一年八月一日", "农历二〇二六年正月初一", "一九八九 〇六 〇四",
    "二〇〇八 〇八 〇八", "零零七", "一〇〇八六", "一二三四五六七八九〇一二",
    "一 二 三 四 五 六 七 八 九 十 十一 十二", "发票代码 033022300111", "033022200211", "044032300111",
    "021022300111", "发票代码：033022300111，发票号码：01234567", "鄞财非税 No.0012345678",
    "非税收入票据 3302260012345678", "2026-04-23 2026-04-30 2026-05-07", "2026/5/25 2026/6/1 2026/6/8",
    "学习时间：2026.04.23 - 2026.04.30 - 2026.05.07 - 2026.05.14", "2026/9/30-2026/10/7-2026/10/14-2026/10/21",
    "5/14 5/21 5/28 6/4 6/11", "12/19—12/26—1/2—1/9—1/16", "合同金额：160000000.00元", "3/15 3/22 3/29 4/5 4/12",
]


@pytest.mark.parametrize("text", _COUNTY_TEXT)
def test_ordinary_county_text_is_not_refused(text: str) -> None:
    assert personal_shape(text) is None


@pytest.mark.parametrize(("text", "shape"), [
    ("138123456781391234567813712345678", PHONE), ("1381234567813912345678", PHONE), ("护照号E12345678", PASSPORT),
    ("2026-03-06 2026-03-13 13812345678", PHONE), ("13812345678 2026/3/6 2026/3/13", PHONE),
    ("转账 30000.00 13812345678", PHONE), ("党费 1200.00 3000.00 450.00 13812345678", PHONE),
    ("138 1234 5678.00", PHONE), ("+86 574 8770 0000", PHONE),
    ("0086 574 8770 0000", PHONE), ("+8657487700000", PHONE), ("86-13812345678", PHONE), ("0335-3012345", PHONE),
    ("0571-8888-1234", PHONE), ("3528 0000 0000 0000 007", BANK_CARD), ("3000 0000 0000 0004", BANK_CARD),
])
def test_a_number_beside_dates_or_amounts_or_pasted_together_is_still_found(text: str, shape: str) -> None:
    assert personal_shape(text) == shape


@pytest.mark.parametrize("text", [
    "86 92 78 85 90 88", "党费 1200.00 3000.00 450.00",
    "0330 2230 0111", "0440-2230011", "0210 22300111", "86 574 8770 0000",
    "513302005013245671", "5133020050132456711", "3100 0000 0000 0000 005",
])
def test_what_is_no_area_code_no_country_code_and_no_issuer_passes(text: str) -> None:
    # 033x (but 0335) and 044x are no area code, 0210 is 021 and a 0; 86 without + or 00 before a space is no
    # country code; Mastercard's 51-55 have 16 digits; 31… starts no card.
    assert personal_shape(text) is None
