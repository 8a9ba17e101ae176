"""Free text that must hold no personal data: nothing shaped like a phone number or a resident ID number.

A free-text field of a command outside membership's sealed personal data — a case's note, a document's number,
a partner's contact — is kept in clear in its service's event store, on Kafka and in the read models, so
nothing personal may be written into it (docs/architecture.md, personal data). ``not_personal`` is the one check
every such field passes; a refusal names the field and what to record instead, and never repeats the value.

What counts, read after NFKC (full-width digits, letters and punctuation are their ASCII selves), with any
format character (a zero-width space between two digits) dropped and every decimal digit read as 0-9:

- a mobile number: ``1[3-9]`` and 9 more digits, optionally after ``86`` or ``0086`` (13812345678,
  138 1234 5678, +86-138-1234-5678, (+86) 138.1234.5678);
- a landline with its area code: ``0`` and 2-3 digits, then 7-8 digits starting 2-9 (0574-8770-0000,
  (010) 6512 3456, 057487700000, +86 574 8770 0000);
- a resident ID number (GB 11643): 17 digits and a digit or X whose 7th-14th digits read as a birth date
  (19xx or 20xx), whatever its check digit — a mistyped ID number is still nearly someone's; and the 15-digit
  first-generation number, whose 7th-12th digits read as a date.

Digits are read in groups, split by up to three spaces, dashes, dots, slashes or parentheses, and a shape is a run
of whole groups: a number is never found by cutting a group, so RS-2026-001 or a 20-digit policy number is
not a phone, while the phone in "2026-03-06 13812345678" is. Letters do not hide a number (tel13812345678 is a
phone). So every real phone or ID number the personal-data scan of the end-to-end tests finds
(tests/e2e/test_personal_data_scan.py) is refused here; the ID rule reads the birth date rather than the check
digit, so that a bureau's 18-digit policy number is not refused one time in eleven.
"""

from __future__ import annotations

import re
import unicodedata

from services.pure.errors import DomainError

PHONE = "a phone number"
ID_NUMBER = "an ID number"

#: What may stand between two digits of one number: people write 138 1234 5678, 138-1234-5678, (0574) 8770 0000.
_SEPARATORS = r"\s\-\u2010-\u2015\u2212./()_"
_SEPARATOR = f"[{_SEPARATORS}]"
_DAY = "(?:0~[1-9]|1~[0-2])~(?:0~[1-9]|[12]~D|3~[01])"


def _spaced(pattern: str) -> re.Pattern[str]:
    """``pattern`` with up to three separators wherever it says ``~`` and a digit wherever ``D``, matched only
    from the first digit of a group to the last digit of a group: a number is never found by cutting another."""
    body = pattern.replace("~", _SEPARATOR + "{0,3}").replace("D", "[0-9]")
    return re.compile(f"(?<![0-9]){body}(?![0-9])")


#: Checked in this order, within each run of digits; the first that matches names the shape. A match is at most
#: 19 digits and their separators, so the search is linear in the text.
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    # GB 11643: region, birth date (19xx or 20xx), sequence, and a check digit or X — whatever the check digit.
    (_spaced("D~D~D~D~D~D~(?:1~9|2~0)~D~D~" + _DAY + "~D~D~D~[0-9Xx]"), ID_NUMBER),
    # The 15-digit first-generation number: region, birth date as yymmdd, sequence.
    (_spaced("D~D~D~D~D~D~D~D~" + _DAY + "~D~D~D"), ID_NUMBER),
    # A mobile: 1[3-9] and 9 digits, after 86 or 0086 or not.
    (_spaced("(?:(?:0~0~)?8~6~)?1~[3-9]" + "~D" * 9), PHONE),
    # A landline: an area code starting a group (0 and 2-3 digits), then 7-8 digits starting 2-9.
    (_spaced("0[1-9]D{1,2}~[2-9](?:~D){6,7}"), PHONE),
    # The same from abroad: 86 or 0086, a separator, the area code without its 0, the number.
    (_spaced(f"(?:00)?86{_SEPARATOR}{{1,3}}[1-9]D{{1,2}}~[2-9](?:~D){{6,7}}"), PHONE),
)


#: A run of digits and separators. Only runs of 10 characters or more are searched for shapes (no shape has fewer
#: digits): this pattern starts with a digit and repeats one character class, so the regex engine passes over
#: prose at C speed. A megabyte made only of digit groups (the request body limit) still takes a few seconds.
_RUN = re.compile(f"[0-9][0-9{_SEPARATORS}]*")
_SHORTEST = 10


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


def _plain(text: str) -> str:
    """Full-width and other compatibility forms as ASCII (NFKC), format characters dropped, every digit 0-9."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_PLAIN)


def personal_shape(text: str) -> str | None:
    """``PHONE`` or ``ID_NUMBER`` when ``text`` holds something shaped like one (see the module), else None."""
    plain = _plain(text)
    for run in _RUN.finditer(plain):
        if run.end() - run.start() < _SHORTEST:
            continue
        for pattern, shape in _SHAPES:
            # Searched in place: the characters either side of a run are not digits, as the patterns require.
            if pattern.search(plain, run.start(), run.end() + 1):
                return shape
    return None


def not_personal(text: str, what: str, *, instead: str) -> str:
    """``text`` unchanged, or a 422 naming ``what`` and saying what to record ``instead``. The value is never
    repeated in the answer: a problem's detail may be shown and logged."""
    shape = personal_shape(text)
    if shape is not None:
        raise DomainError(f"{what} holds what looks like {shape}; no ID number or phone number may be recorded "
                          f"here (it would be kept in clear in events and read models): record {instead}")
    return text
