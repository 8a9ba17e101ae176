"""Personal data as the rules see it: sealed before it reaches them, with the facts derived before sealing.

The handler validates a national ID number, derives the birth date it encodes, seals the number and the
contact with the person's key and hands the rules this record; the commands it passes on carry only the
masked forms. So no decider can put a clear ID number or phone into an event, and the rules stay pure.

Everything else a command says is kept in clear — a person's name, an organisation's, a reason, a note, a
letter's or certificate's number — so the deciders refuse any of it that holds something shaped like a phone,
ID, bank card, passport or permit number (services/pure/personal_text.py), saying what to record instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.membership.contract.events.common import Contact
from services.membership.contract.events.personal import SealedPersonalData
from services.pure.errors import DomainError

#: What a person's name takes instead of a number: the name alone (their phone and ID number are sealed).
NAME_ONLY = ("the person's name alone: their phone goes in contact and their ID number in national_id, which "
             "membership seals with the person's own key")
#: What an organisation's address takes: the postal address alone.
ORG_ADDRESS = "the organisation's postal address, without a phone number"


@dataclass(frozen=True, kw_only=True)
class Protected:
    """``sealed``: the ciphertext to record; ``national_id_masked`` and ``contact_masked``: what readers may see;
    ``birth_date``: the one the national ID number encodes (None when no number was given)."""

    sealed: SealedPersonalData
    national_id_masked: str | None
    contact_masked: Contact
    birth_date: date | None = None


def birth_date_of(personal: Protected) -> date:
    """The birth date of a person registered with a national ID number."""
    if personal.birth_date is None:
        raise DomainError("national_id is required; its birth date decides the age rule")
    return personal.birth_date
