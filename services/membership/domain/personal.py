"""Personal data as the rules see it: sealed before it reaches them, with the facts derived before sealing.

The handler validates a national ID number, derives the birth date it encodes, seals the number and the
contact with the person's key and hands the rules this record; the commands it passes on carry only the
masked forms. So no decider can put a clear ID number or phone into an event, and the rules stay pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.membership.contract.events.common import Contact
from services.membership.contract.events.personal import SealedPersonalData
from services.pure.errors import DomainError


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
