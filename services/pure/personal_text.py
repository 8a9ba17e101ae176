"""Free text that must hold no personal data: nothing shaped like a phone, ID, bank card, passport or permit number.

A free-text field of a command outside membership's sealed personal data — a case's note, a document's number,
a partner's contact, a meeting's topic — is kept in clear in its service's event store, on Kafka and in the read
models, so nothing personal may be written into it (docs/architecture.md, personal data). ``not_personal`` is the
one check every such field passes; a refusal names the field and what to record instead, and never repeats the
value.

How a text is read first: NFKC (full-width digits, letters and punctuation are their ASCII selves), any format
character (a zero-width space between two digits) dropped, every decimal digit of any script read as 0-9, and the
Chinese numerals a number is written with digit by digit read as digits too: 〇 and 零 (and ○, the circle typed for
〇 in 二○二六, so 138○○○○5678 reads as a phone: mask with * instead) as 0, 一 to 九, the financial 壹贰叁肆伍陆柒捌玖
(and the traditional 貳參叄陸), and 幺 — 1 as a phone number is spoken (幺三八…), and so written down by whoever
heard it. Not 两: it counts things (两个, 两年) and names no digit outside the radio alphabet (幺两三…拐洞), whose 拐,
勾 and 洞 no one writes in a note either; and not 十, 百, 千, 万, which make quantities (十二, 三十一), never a run of
digits. Where a Chinese numeral meets an Arabic digit, a group ends: 张三13812345678 is 张3 and a phone, and
138一二三四5678 is 138 1234 5678.

Ordinary Chinese is not refused for its numerals: as with Arabic digits, a shape needs a run of at least ten
digits, and 第一, 三月五日, 十二, 一二三 or a date in numerals — 二〇二六年三月五日, or even 二〇二六〇三〇五 — is
none (a date is eight digits, and 年, 月 or a separator splits it further).

What counts:

- a mobile number: ``1[3-9]`` and 9 more digits, optionally after ``86`` or ``0086`` (13812345678,
  138 1234 5678, +86-138-1234-5678, (+86) 138.1234.5678, 一三八一二三四五六七八); two or more pasted together with
  nothing between them (22, 33… digits) too;
- a landline with its area code, then 7-8 digits starting 2-9 (0574-8770-0000, (010) 6512 3456, 057487700000,
  〇五七四-八七七〇〇〇〇〇), from abroad after +86 or 0086 (+86 574 8770 0000) — not after a bare 86, so a list of
  scores (86 92 78 85 90 88) is none. An area code is 010, 020-029, or 0 and three digits 3xx-9xx, but not 033x
  save 0335 (Qinhuangdao) nor 044x, which no city holds: the 12-digit invoice codes of Zhejiang (0 3302…, Ningbo's)
  and Guangdong (0 44…) begin so. Other provinces' invoice codes (0 35…, 0 37…) begin as real area codes do and
  are still read as landlines;
- a resident ID number (GB 11643): 17 digits and a digit or X whose 7th-14th digits read as a birth date
  (19xx or 20xx), whatever its check digit — a mistyped ID number is still nearly someone's; and the 15-digit
  first-generation number, whose 7th-12th digits read as a date;
- a bank card number (ISO/IEC 7812: an issuer's number, the account, a Luhn check digit): 16-19 digits, unbroken
  or grouped (6222 0212 3456 7890 128), that pass the Luhn check and start as the cards carried here do: 62 or 81
  (UnionPay), 4 (Visa), 3528-3589 (JCB), 300-305, 36, 38 or 39 (Diners), 34 or 37 (American Express), 60, 64 or
  65 (Discover) — and 51-55 or 2221-2720 (Mastercard) with exactly 16 digits. A 16-19-digit number failing Luhn is
  not one, nor is one starting otherwise (2026…, a reference led by its year; 91…, 31… or 51…-53… of 18 digits, a
  credit code); one that starts like a card and passes Luhn by chance, a receipt or policy number one time in
  ten, is refused: the price of refusing every card;
- in a text that names a passport or permit (护照, 通行证, 往来港澳, 往来台湾, 旅行证, 回乡证, passport, permit —
  in either case), and only there, since a letter, a year and a sequence is how drug approvals, contracts and
  projects are numbered here (国药准字H20003263, 合同编号C20260001, DE2026001):
- a passport number of a Chinese citizen: the ordinary passport's E + 8 digits, or, since April 2017, E + a
  letter (not I or O) + 7 digits (EA1234567); the older G + 8 digits; the official SE, DE and PE + 7 digits; the
  Hong Kong SAR's K + 8 and the Macao SAR's MA + 7 — as public guides summarise them and validator.js checks them
  (validatorjs/validator.js#1714: G + 8, E + 8, E + a letter but I or O + 7);
- a travel permit number: the Exit-Entry Permit for Travelling to and from Hong Kong and Macao, C + 8 digits or,
  once those ran out, C + a letter (not I or O) + 7 digits (National Immigration Administration, 2018-12-10:
  "前缀字母C保持不变，第二位改为顺序使用英文字母（I、O除外）…新号段证件起始号码为第CA0000001号"); the mainland
  residents' permit for Taiwan, L + 8 digits (the 2017 card, as the validators in use take it: we found no
  official notice to cite); the Mainland Travel Permit of Hong Kong and Macao residents, H or M + the holder's
  8-digit lifelong number, with or without the 2 digits counting its renewals (Exit-Entry Administration of the
  Ministry of Public Security, 2010-03-10: "通行证证件号码共11位…前8位数字为通行证持有人的终身号，
  后2位数字表示换证次数").
  Not guarded, since a bare 8- or 9-digit number is everywhere: the Taiwan residents' permit (8 digits) and the
  old passports numbered 14 or 15 and 7 digits.

Digits are read in groups, split by up to three spaces, dashes, dots, slashes or parentheses, and a digit shape
is a run of whole groups: a number is never found by cutting a group, so RS-2026-001 or a 20-digit policy number
is not a phone, while the phone in "2026-03-06 13812345678" is. Two kinds of groups are read as no number before
the shapes are looked for: an amount, up to 12 digits with a decimal point and one or two digits, that no other
digit group touches within three separators (投资额150000000.00元: the nine digits and 00 would read as a phone; 138
1234 5678.00 is still one, while a mobile written 138123456.78 is taken for an amount, the price of reading
amounts); and a list
of two dates or more, each a whole token — year-month-day with -, / or . (the same both times), or month/day —
separated by up to three separators (2026-04-23 2026-04-30 2026-05-07, 3/15 3/22 3/29), whose digits run on into
a card's or a phone's shape. A date alone is kept, being no shape: "2026-03-06 13812345678" holds the phone, and
a list beside a phone leaves it standing. Month.day lists (3.15 3.22) are not taken: too many phones are written
with dots. Letters do not hide a number (tel13812345678 is a phone) — except in an id the system made: a UUID
(8-4-4-4-12 hex digits) or a run of 32 or more hex digits (a UUID unbroken, a digest), holding at least one of the
letters a-f, is read as no number at all, since one random UUID in about 140 holds a phone's shape
(8a1fe153-9323-4533-… reads 153 9323 4533) and records name one another by them (funds arrived on lead <id>). A
passport or permit number is a whole token: no letter or digit touches it, nor a dash or underscore
joining it to one, so a reference that merely holds one (RS-E12345678, C20260001-2) is not one. So every real
phone or ID number the personal-data scan of the end-to-end tests finds (tests/e2e/test_personal_data_scan.py) is
refused here; the ID rule reads the birth date rather than the check digit, so that a bureau's 18-digit policy
number is not refused one time in eleven.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import accumulate, pairwise

from services.pure.errors import DomainError
from services.pure.text import require_text

PHONE = "a phone number"
ID_NUMBER = "an ID number"
BANK_CARD = "a bank card number"
PASSPORT = "a passport number"
TRAVEL_PERMIT = "a travel permit number"

#: What may stand between two digits of one number: people write 138 1234 5678, 138-1234-5678, (0574) 8770 0000.
_SEPARATORS = r"\s\-\u2010-\u2015\u2212./()_"
_SEPARATOR = f"[{_SEPARATORS}]"
_DAY = "(?:0~[1-9]|1~[0-2])~(?:0~[1-9]|[12]~D|3~[01])"
#: An area code after its 0, unbroken: 10 and 20-29 (Beijing, and the 02X cities), or three digits 3xx-9xx — but
#: not 33x save 335, nor 44x, which no city holds and with which the 12-digit invoice codes of Zhejiang (0 3302…)
#: and Guangdong's 44 (0 4403…) begin.
_AREA = "(?:10|2D|(?!33[0-46-9]|44)[3-9]DD)"


def _spaced(pattern: str) -> re.Pattern[str]:
    """``pattern`` with up to three separators wherever it says ``~`` and a digit wherever ``D``, matched only
    from the first digit of a group to the last digit of a group: a number is never found by cutting another."""
    body = pattern.replace("~", _SEPARATOR + "{0,3}").replace("D", "[0-9]")
    return re.compile(f"(?<![0-9]){body}(?![0-9])")


#: Checked within each run of digits, in this order; the first found names the shape. An 18-character ID number
#: first, then a bank card (grouped 4-4-4-4-3, a card's last 15 digits may read as a first-generation ID number, and
#: any 4-4-4-4 holds a landline's shape, 0212 3456 7890), then the 15-digit ID number and the phones. A match is at
#: most 19 digits and their separators, so the search is linear in the text.
_ID_NUMBER = _spaced("D~D~D~D~D~D~(?:1~9|2~0)~D~D~" + _DAY + "~D~D~D~[0-9Xx]")
"""GB 11643: region, birth date (19xx or 20xx), sequence, and a check digit or X — whatever the check digit."""
_FIRST_GENERATION_ID = _spaced("D~D~D~D~D~D~D~D~" + _DAY + "~D~D~D")
"""The 15-digit first-generation number: region, birth date as yymmdd, sequence."""
_PHONE_SHAPES: tuple[re.Pattern[str], ...] = (
    # A mobile: 1[3-9] and 9 digits, after 86 or 0086 or not.
    _spaced("(?:(?:0~0~)?8~6~)?1~[3-9]" + "~D" * 9),
    # A landline: an area code starting a group, then 7-8 digits starting 2-9.
    _spaced(f"0{_AREA}~[2-9](?:~D){{6,7}}"),
    # The same from abroad: +86 or 0086, the area code without its 0, the number.
    _spaced(f"(?:(?<=\\+)|0~0~)86~{_AREA}~[2-9](?:~D){{6,7}}"),
)
#: Two mobiles or more pasted together with nothing between them: one group of 22, 33… digits.
_GLUED_MOBILES = re.compile("(?<![0-9])(?:1[3-9][0-9]{9}){2,}(?![0-9])")

#: A passport or permit number standing as a token of its own: neither a letter or digit nor a dash or underscore
#: joined to one touches it (RS-E12345678 is a reference, "护照E12345678" and "No.EA1234567" are passports).
_ALONE = r"(?<![A-Za-z0-9])(?<![A-Za-z0-9][-_])"
_ENDS = r"(?![A-Za-z0-9])(?![-_][A-Za-z0-9])"
#: The letter a number range continues with once its digits ran out: any but I and O (read as 1 and 0).
_SERIES = "[A-HJ-NP-Z]"
#: What names a passport or permit: its number's shape is refused only in a text that says what it is.
_NAMES_A_DOCUMENT = re.compile("护照|通行证|往来港澳|往来台湾|旅行证|回乡证|passport|permit", re.IGNORECASE)
_DOCUMENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(f"{_ALONE}(?:[EGK][0-9]{{8}}|E{_SERIES}[0-9]{{7}}|[DSP]E[0-9]{{7}}|MA[0-9]{{7}}){_ENDS}",
                re.ASCII | re.IGNORECASE), PASSPORT),
    (re.compile(f"{_ALONE}(?:[CL][0-9]{{8}}|C{_SERIES}[0-9]{{7}}|[HM][0-9]{{8}}(?:[0-9]{{2}})?){_ENDS}",
                re.ASCII | re.IGNORECASE), TRAVEL_PERMIT),
)


#: An id the system made, read as no number (see the module): a UUID, or 32 hex digits or more, standing alone
#: and holding a letter a-f (32 digits and nothing else are digits: three mobiles pasted together).
_SYSTEM_ID = re.compile(r"(?<![0-9A-Za-z])(?:(?=[0-9-]{0,35}[A-Fa-f])"
                        r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}"
                        r"|(?=[0-9]*[A-Fa-f])[0-9A-Fa-f]{32,})(?![0-9A-Za-z])")
#: A date as a whole token: year-month-day with -, / or . (the same both times), or month/day. No digit touches it,
#: nor (for month/day) a slash or dot leading on to one. Only a list of two or more dates is taken out (below).
_DATE_TOKEN = (r"(?:(?:19|20)[0-9]{2}([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12][0-9]|3[01])"
                r"|(?<![0-9][/.])(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12][0-9]|3[01])(?![/.][0-9]))")
_DATE = re.compile(f"(?<![0-9])(?:{_DATE_TOKEN})(?![0-9])")
_BETWEEN_DATES = re.compile(f"{_SEPARATOR}{{1,3}}")
#: An amount: up to 12 digits, a decimal point and one or two digits (150000000.00, 30000.5), with no other digit
#: group before it within three separators nor after it: the digits of a price are no phone's, while those of
#: 138 1234 5678.00 still are.
_BEFORE = "".join(f"(?<![0-9]{_SEPARATOR}{{{n}}})" for n in range(4))
_AMOUNT = re.compile(f"{_BEFORE}[0-9]{{1,12}}[.][0-9]{{1,2}}(?![0-9Xx])(?!{_SEPARATOR}{{1,3}}[0-9])")
#: A run of digits and separators. Only runs of 10 characters or more are searched for shapes (no shape has fewer
#: digits): this pattern starts with a digit and repeats one character class, so the regex engine passes over
#: prose at C speed. A megabyte made only of digit groups (the request body limit) still takes a few seconds.
_RUN = re.compile(f"[0-9][0-9{_SEPARATORS}]*")
_SHORTEST = 10
_GROUP = re.compile("[0-9]+")
_CARD_DIGITS = range(16, 20)
#: Luhn: every second digit from the right doubled, and a doubled digit above 9 counted as the sum of its digits.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


_ANY_LENGTH = _CARD_DIGITS
_MASTERCARD = range(16, 17)
_NO_CARD = range(0)


def _card_lengths(digits: str) -> range:
    """How many digits a card starting as ``digits`` (its first four) does may have, if any starts so (see the
    module): 16 for Mastercard, 16-19 for the others."""
    if "51" <= digits[:2] <= "55" or (len(digits) >= 4 and "2221" <= digits[:4] <= "2720"):
        return _MASTERCARD
    if (digits[0] == "4" or digits[:2] in ("34", "36", "37", "38", "39", "60", "62", "64", "65", "81")
            or "300" <= digits[:3] <= "305" or (len(digits) >= 4 and "3528" <= digits[:4] <= "3589")):
        return _ANY_LENGTH
    return _NO_CARD


def _has_card(run: str) -> bool:
    """Whether ``run`` (digits and separators) holds 16-19 digits of whole groups that read as a bank card.

    Every start of a group is tried with every end of a group 16-19 digits on, so the cost is linear in the run;
    Luhn sums come from two running totals (one doubling the even positions, one the odd) instead of being added
    up again for each candidate."""
    groups = list(_GROUP.finditer(run))
    digits = "".join(group.group() for group in groups)
    starts, ends, joined = [], [], []  # per group: its digits' offsets, and whether the next group is near enough
    offset = 0
    for i, group in enumerate(groups):
        starts.append(offset)
        offset += group.end() - group.start()
        ends.append(offset)
        joined.append(i + 1 < len(groups) and groups[i + 1].start() - group.end() <= 3)
    lengths = [_card_lengths(digits[start:start + 4]) for start in starts]
    firsts = [i for i, start in enumerate(starts) if lengths[i]]
    if len(digits) < _CARD_DIGITS.start or not firsts:
        return False
    # totals[p][i]: the Luhn sum of digits[:i] with the positions of parity p doubled. A number ending before
    # position e doubles the positions of e's parity (its last digit, e-1, is not doubled).
    values = [ord(d) - 48 for d in digits]
    totals = [list(accumulate((_DOUBLED[v] if i % 2 == parity else v for i, v in enumerate(values)), initial=0))
              for parity in (0, 1)]
    for first in firsts:
        start = starts[first]
        for last in range(first, len(groups)):
            end = ends[last]
            if end - start >= _CARD_DIGITS.stop:
                break
            if end - start in lengths[first] and (totals[end % 2][end] - totals[end % 2][start]) % 10 == 0:
                return True
            if not joined[last]:
                break
    return False


class _Plain(dict[int, str | None]):
    """``str.translate``'s table, filled as characters are first met: a decimal digit of any script as 0-9, a
    format character (a zero-width space) dropped, anything else as itself."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        plain: str | None = char
        if char.isdecimal():
            plain = str(unicodedata.decimal(char))
        elif unicodedata.category(char) == "Cf":
            plain = None
        self[code] = plain
        return plain


_PLAIN = _Plain()
#: The Chinese numerals read as digits (see the module for which, and why not 两 or 十).
_NUMERALS = {"0": "〇零○", "1": "一壹幺", "2": "二贰貳", "3": "三叁參叄", "4": "四肆", "5": "五伍", "6": "六陆陸",
             "7": "七柒", "8": "八捌", "9": "九玖"}
_NUMERAL = "".join(_NUMERALS.values())
_AS_DIGITS = str.maketrans({numeral: digit for digit, numerals in _NUMERALS.items() for numeral in numerals})
#: Where a Chinese numeral meets an Arabic digit: a group ends there (张三13812345678, 138一二三四5678).
_SCRIPT_CHANGE = re.compile(f"(?<=[0-9])(?=[{_NUMERAL}])|(?<=[{_NUMERAL}])(?=[0-9])")


def _plain(text: str) -> str:
    """Full-width and other compatibility forms as ASCII (NFKC), format characters dropped, every digit 0-9,
    Chinese numerals as digits, in groups of their own where they meet Arabic ones."""
    if text.isascii():
        return text
    plain = unicodedata.normalize("NFKC", text).translate(_PLAIN)
    return _SCRIPT_CHANGE.sub(" ", plain).translate(_AS_DIGITS)


def _without_date_lists(plain: str) -> str:
    """``plain`` with every list of two dates or more (2026-04-23 2026-04-30, 3/15 3/22) as ``#`` each: their
    digits run on into a phone's or a card's shape, yet are dates. A date alone is left: it is no shape, and
    "2026-03-06 13812345678" still holds the phone."""
    dates = list(_DATE.finditer(plain))
    listed: set[tuple[int, int]] = set()
    for before, after in pairwise(dates):
        if _BETWEEN_DATES.fullmatch(plain, before.end(), after.start()):
            listed.update((before.span(), after.span()))
    if not listed:
        return plain
    kept, at = [], 0
    for start, end in sorted(listed):
        kept.append(plain[at:start])
        kept.append("#")
        at = end
    kept.append(plain[at:])
    return "".join(kept)


def personal_shape(text: str) -> str | None:
    """``PHONE``, ``ID_NUMBER``, ``BANK_CARD``, ``PASSPORT`` or ``TRAVEL_PERMIT`` when ``text`` holds something
    shaped like one (see the module), else None."""
    plain = _SYSTEM_ID.sub("#", _plain(text))
    # A passport or permit number first: its digits may hold a phone's shape (M + 0102000000), yet it is a permit.
    if _NAMES_A_DOCUMENT.search(plain):
        for pattern, shape in _DOCUMENTS:
            if pattern.search(plain):
                return shape
    if _GLUED_MOBILES.search(plain):
        return PHONE
    plain = _AMOUNT.sub("#", _without_date_lists(plain))
    for run in _RUN.finditer(plain):
        start, end = run.span()
        if end - start < _SHORTEST:
            continue
        # Searched in place: the characters either side of a run are not digits, as the patterns require.
        if _ID_NUMBER.search(plain, start, end + 1):
            return ID_NUMBER
        if end - start >= _CARD_DIGITS.start and _has_card(run.group()):
            return BANK_CARD
        if _FIRST_GENERATION_ID.search(plain, start, end + 1):
            return ID_NUMBER
        if any(pattern.search(plain, start, end + 1) for pattern in _PHONE_SHAPES):
            return PHONE
    return None


def in_words(about: str) -> str:
    """The ``instead`` of a free-text field (a reason, a note): ``about``, in words, and no one's number."""
    return f"{about}, in words, without anyone's phone, ID, card or passport number"


def not_personal(text: str, what: str, *, instead: str) -> str:
    """``text`` unchanged, or a 422 naming ``what`` and saying what to record ``instead``. The value is never
    repeated in the answer: a problem's detail may be shown and logged."""
    shape = personal_shape(text)
    if shape is not None:
        raise DomainError(f"{what} holds what looks like {shape}; no phone, ID, bank card, passport or permit "
                          f"number may be recorded here (it would be kept in clear in events and read models): "
                          f"record {instead}")
    return text


def reason_text(text: str, about: str, *, what: str = "reason") -> str:
    """A required reason, kept in clear: ``text`` without surrounding spaces, refused when blank or when it holds
    someone's number. ``about`` says, in words, what the reason explains."""
    return not_personal(require_text(text, what, hint=f"write {about}"), what, instead=in_words(about))
