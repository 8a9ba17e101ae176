"""Personal data sealed per person: the envelope, the key hierarchy, the keyed index, erasure and old events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.kernel.events import encode
from services.membership import personal_data
from services.membership.contract.commands.members import ErasePersonalData
from services.membership.contract.events import REGISTRY, Contact, MemberRegistered, PersonalDataErased
from services.membership.contract.events.common import DuesCategory, MemberStatus
from services.membership.contract.events.members import MemberRegisteredV1
from services.membership.contract.events.personal import mask_phone
from services.membership.domain import erasure, person
from services.membership.personal_data import Keys, Unreadable
from services.pure.errors import Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.membership.builders import ADMIN, SECRETARY, a_registered_member, national_id

RECORD = {"national_id": "44030519900517123X", "contact": {"phone": "+86 138 0013 8000", "address": "Longhua",
                                                            "wechat": "li-wei-88"}}
KEYS = Keys.from_master(b"a master key of at least thirty-two bytes, for tests")


def sealed_for(person_id: str = "m-1", key: bytes | None = None) -> tuple[bytes, personal_data.SealedPersonalData]:
    key = key or personal_data.new_data_key()
    return key, personal_data.seal(key, key_id="k-1", person_id=person_id, record=RECORD)


def test_a_sealed_record_opens_with_the_persons_key_and_shows_nothing_in_clear() -> None:
    key, sealed = sealed_for()
    assert personal_data.open_sealed(key, person_id="m-1", sealed=sealed) == RECORD
    wire = encode(sealed).decode()
    assert "44030519900517123X" not in wire and "138" not in wire and "Longhua" not in wire


def test_two_sealings_of_the_same_record_differ() -> None:
    key, first = sealed_for()
    _, second = sealed_for(key=key)
    assert first.nonce != second.nonce and first.ciphertext != second.ciphertext


def test_an_envelope_does_not_open_with_another_key() -> None:
    _, sealed = sealed_for()
    with pytest.raises(Unreadable):
        personal_data.open_sealed(personal_data.new_data_key(), person_id="m-1", sealed=sealed)


def test_an_envelope_copied_onto_another_person_does_not_open() -> None:
    key, sealed = sealed_for("m-1")
    with pytest.raises(Unreadable):
        personal_data.open_sealed(key, person_id="m-2", sealed=sealed)


def test_an_altered_envelope_does_not_open() -> None:
    key, sealed = sealed_for()
    flipped = sealed.ciphertext[:-2] + ("A" if sealed.ciphertext[-2] != "A" else "B") + sealed.ciphertext[-1]
    with pytest.raises(Unreadable):
        personal_data.open_sealed(key, person_id="m-1", sealed=replace(sealed, ciphertext=flipped))


def test_a_data_key_is_stored_wrapped_and_unwraps_only_under_the_same_master_key() -> None:
    key = personal_data.new_data_key()
    wrapped = personal_data.wrap(KEYS, key)
    assert key not in wrapped and personal_data.unwrap(KEYS, wrapped) == key
    other = Keys.from_master(b"another master key of at least thirty-two bytes")
    with pytest.raises(Unreadable):
        personal_data.unwrap(other, wrapped)


def test_once_the_data_key_is_destroyed_no_key_opens_the_envelope_again() -> None:
    # Erasure destroys the only copy of the key (the wrapped one): what remains is the envelope, and
    # neither the master key nor any key made afterwards opens it.
    key, sealed = sealed_for()
    wrapped = personal_data.wrap(KEYS, key)
    del key, wrapped
    for _ in range(20):
        with pytest.raises(Unreadable):
            personal_data.open_sealed(personal_data.new_data_key(), person_id="m-1", sealed=sealed)
    with pytest.raises(Unreadable):
        personal_data.open_sealed(KEYS.key_encryption_key, person_id="m-1", sealed=sealed)


def test_the_index_is_a_keyed_hash_of_the_number_never_the_number() -> None:
    number = national_id(date(1990, 5, 17))
    digest = personal_data.national_id_hash(KEYS, number)
    assert digest == personal_data.national_id_hash(KEYS, number.lower() + " ")
    assert number.encode() not in digest and len(digest) == 32
    assert digest != personal_data.national_id_hash(Keys.from_master(b"x" * 32), number)
    assert KEYS.index_key != KEYS.key_encryption_key


def test_the_keys_never_show_in_a_repr() -> None:
    assert KEYS.key_encryption_key.hex() not in repr(KEYS) and "secret" in repr(KEYS)


def test_outside_development_the_master_key_must_be_set_long_and_not_the_development_value() -> None:
    for environ in ({"GB_ENV": "production"},
                    {"GB_ENV": "production", "GB_MEMBERSHIP_MASTER_KEY": "short"},
                    {"GB_ENV": "production", "GB_MEMBERSHIP_MASTER_KEY": personal_data.DEV_MASTER_KEY}):
        with pytest.raises(ValueError, match="GB_MEMBERSHIP_MASTER_KEY"):
            personal_data.master_key(environ)
    assert personal_data.master_key({"GB_ENV": "production", "GB_MEMBERSHIP_MASTER_KEY": "k" * 32}) == b"k" * 32


def test_in_development_a_development_master_key_is_used_when_none_is_set() -> None:
    assert personal_data.master_key({}) == personal_data.DEV_MASTER_KEY.encode()
    assert personal_data.master_key({"GB_ENV": "development"}) == personal_data.DEV_MASTER_KEY.encode()


def test_a_phone_is_masked_to_its_last_four_digits() -> None:
    assert mask_phone("+86 138 0013 8000") == "*********8000"
    assert mask_phone("13800138000") == "*******8000"


def test_a_stored_v1_registration_is_read_as_v2_with_masked_values_only() -> None:
    number = national_id(date(1990, 5, 17))
    old = MemberRegisteredV1(member_id="m-1", name="Li Wei", national_id=number, formal_org_id="b-1",
                             status=MemberStatus.FULL, dues_category=DuesCategory.WAGE_EARNER,
                             contact=Contact(phone="+86 138 0013 8000", wechat="li-wei-88"))
    event = REGISTRY.decode("gb.membership.member_registered.v1", encode(old))
    assert isinstance(event, MemberRegistered) and event.personal is None
    assert event.national_id == event.national_id_masked == number[:3] + "*" * 14 + number[-1]
    assert event.contact == Contact(phone="*********8000")


def test_new_registrations_are_written_as_v2_and_old_ones_keep_their_v1_wire_name() -> None:
    assert REGISTRY.wire_name(a_v2_registration()) == "gb.membership.member_registered.v2"
    assert "gb.membership.member_registered.v1" in REGISTRY.names()


def a_v2_registration() -> MemberRegistered:
    return MemberRegistered(member_id="m-1", name="Li Wei", national_id_masked="440**************7",
                            formal_org_id="b-1", status=MemberStatus.FULL, dues_category=DuesCategory.WAGE_EARNER,
                            contact_masked=Contact(phone="*******8000"), personal=sealed_for()[1])


# --- Erasure ----------------------------------------------------------------------------------------------

def erase_cmd(actor: Actor = ADMIN) -> ErasePersonalData:
    return ErasePersonalData(actor=actor, today=date(2026, 12, 1), member_id="m-1", reason="the person's request")


def registered_person() -> person.Person:
    return person.Person(member=a_registered_member())


def test_the_county_erases_a_person_once_and_the_event_names_the_key_but_nothing_personal() -> None:
    [event] = erasure.erase(registered_person(), erase_cmd(), key_id="k-1")
    assert event == PersonalDataErased(member_id="m-1", erased_on=date(2026, 12, 1), key_id="k-1",
                                       reason="the person's request", actor=ADMIN.label)
    erased = person.evolve(registered_person(), event)
    assert erased.erased_on == date(2026, 12, 1) and erased.member.exists
    with pytest.raises(StateConflict):
        erasure.erase(erased, erase_cmd(), key_id="k-1")


def test_only_the_county_erases() -> None:
    for actor in (SECRETARY, Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a"),
                  Actor(subject="m-1", role=Role.MEMBER)):
        with pytest.raises(Forbidden):
            erasure.erase(registered_person(), erase_cmd(actor), key_id="k-1")


def test_nobody_unknown_is_erased() -> None:
    with pytest.raises(NotFound):
        erasure.erase(person.INITIAL, erase_cmd(), key_id=None)
