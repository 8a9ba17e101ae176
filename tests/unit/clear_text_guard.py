"""What every service's test of its clear-text guard checks (tests/unit/<service>/test_personal_text_guard.py): each
field kept in clear, sent a phone or any person's number, is refused with a 422 that names it and never repeats the
value; sent an ordinary text, the command is decided. The shapes' edges are tested in
tests/unit/pure/test_personal_text.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import strategies as st

from services.pure.errors import DomainError
from tests.unit.pure.test_personal_text import bank_cards, id_numbers, mobiles, numeral_mobiles, passports

#: A field's test: the command carrying the text, decided; and an ordinary value of the field.
Send = Callable[[str], Any]
PASTED = "请联系 138 1234 5678"
#: Any number of a person, written any way a person writes it.
PERSONS_NUMBERS = st.one_of(mobiles(), id_numbers(), bank_cards(), passports(), numeral_mobiles())


def field_name(field: str) -> str:
    """``Command.field`` → ``field``, as the refusal names it."""
    return field.split(".", 1)[1]


def refused_naming_the_field(send: Send, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        send(PASTED)
    assert refused.value.status == 422
    assert refused.value.detail.startswith(f"{field_name(field)} holds what looks like a phone number"), \
        refused.value.detail
    assert "1234" not in refused.value.detail


def refused_as_personal(send: Send, field: str, text: str) -> None:
    with pytest.raises(DomainError, match=f"^{field_name(field)} holds what looks like"):
        send(text)
