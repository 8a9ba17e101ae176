"""The reservation that holds a national ID number: its keyed hash, the same for every spelling, never the number."""

from __future__ import annotations

from services.membership.personal_data import Keys
from services.membership.vault import NATIONAL_ID, national_id_key

KEYS = Keys.from_master(b"a master key of at least thirty-two bytes, for tests")
NUMBER = "44030519900517123X"


def test_a_number_is_held_under_its_keyed_hash_and_never_in_clear() -> None:
    key = national_id_key(KEYS, NUMBER)
    digest = key.removeprefix(NATIONAL_ID)
    assert key.startswith(NATIONAL_ID) and len(digest) == 64 and int(digest, 16) >= 0
    assert NUMBER not in key and NUMBER[:17] not in key


def test_one_number_written_two_ways_is_one_key_so_it_cannot_be_registered_twice() -> None:
    assert national_id_key(KEYS, NUMBER.lower() + " ") == national_id_key(KEYS, NUMBER)


def test_another_number_or_another_county_key_gives_another_key() -> None:
    assert national_id_key(KEYS, "440305199005171230") != national_id_key(KEYS, NUMBER)
    assert national_id_key(Keys.from_master(b"y" * 32), NUMBER) != national_id_key(KEYS, NUMBER)
