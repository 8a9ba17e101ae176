"""The Idempotency-Key header: a client's token of printable ASCII, at most 255 characters, or a 400 saying so."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.retries import retry_key
from services.pure.errors import InvalidIdempotencyKey


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=255))
def test_a_key_of_printable_ascii_up_to_255_characters_is_kept_as_sent(key: str) -> None:
    assert retry_key(key) == key


def test_no_header_is_no_key() -> None:
    assert retry_key(None) is None


@pytest.mark.parametrize("key", ["", "k" * 256, "k" * 8_000, "tab\there", "clé", "键", "k\x00", "del\x7f"])
def test_any_other_key_is_refused_saying_what_a_key_is(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKey, match="1 to 255 printable ASCII characters") as refused:
        retry_key(key)
    assert refused.value.status == 400
    assert not key or key[:40] not in refused.value.detail  # the key is not repeated back
