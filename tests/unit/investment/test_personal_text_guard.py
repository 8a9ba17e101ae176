"""No text an investment lead keeps in clear may carry a phone, ID, card, passport or permit number into an event
(services/investment/domain/leads.py; the check is services/pure/personal_text.py): each field refuses one with a
422 that names it, and the same command with an ordinary value is decided."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.investment.contract.commands import DropLead
from services.investment.contract.events import LeadStage
from services.investment.domain import leads
from services.pure.errors import DomainError
from tests.unit.clear_text_guard import PERSONS_NUMBERS, refused_as_personal, refused_naming_the_field
from tests.unit.investment import (
    LEAD,
    MEMBER,
    REGISTERED_ON,
    TODAY,
    advance,
    decide,
    funds,
    register,
    registered,
    signed,
)


def _register(**text: str) -> None:
    decide(leads.INITIAL, register(**text))


#: Every text field an investment command keeps in clear (but the ids it is given): how to send it, and an
#: ordinary value it takes.
FIELDS: dict[str, tuple[Callable[[str], object], str]] = {
    "RegisterLead.investor": (lambda t: _register(investor=t), "深圳市顶峰实业有限公司"),
    "RegisterLead.project": (lambda t: _register(project=t), "Qiaotou rooftop solar, phase 2"),
    "RegisterLead.sector": (lambda t: _register(sector=t), "energy"),
    "RegisterLead.origin_locality": (lambda t: _register(origin_locality=t), "Dongguan, Guangdong"),
    "RegisterLead.registrant_name": (lambda t: _register(registrant_name=t), "李伟"),
    "AdvanceLead.note": (lambda t: decide(registered(), advance(LeadStage.CONTACTED, REGISTERED_ON, note=t)),
                         "met at the Shenzhen fair; visit planned for March"),
    "RecordFundsArrived.reference": (lambda t: decide(signed(), funds("1000000.00", date(2025, 5, 1), t)),
                                     "NX-2026-0316"),
    "DropLead.reason": (lambda t: decide(registered(), DropLead(actor=MEMBER, today=TODAY, lead_id=LEAD,
                                                                dropped_on=REGISTERED_ON, reason=t)),
                        "investor chose another county"),
}



@pytest.mark.parametrize("field", sorted(FIELDS))
def test_a_phone_in_a_text_kept_in_clear_is_refused_naming_the_field(field: str) -> None:
    refused_naming_the_field(FIELDS[field][0], field)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_the_same_command_with_an_ordinary_text_is_decided(field: str) -> None:
    send, ordinary = FIELDS[field]
    send(ordinary)


@settings(max_examples=40, deadline=None)  # the shapes' edges are tested in tests/unit/pure/test_personal_text.py
@given(st.sampled_from(sorted(FIELDS)), PERSONS_NUMBERS)
def test_any_number_of_a_person_is_refused_however_written(field: str, text: str) -> None:
    refused_as_personal(FIELDS[field][0], field, text)


def test_a_bank_card_given_as_the_funds_reference_is_refused_as_one() -> None:
    with pytest.raises(DomainError, match=r"^reference holds what looks like a bank card number.*payer's card"):
        decide(signed(), funds("1000000.00", date(2025, 5, 1), "6222 0212 3456 7890 128"))
