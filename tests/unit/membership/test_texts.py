"""Every membership command's texts within their limits (services/membership/domain/texts.py), review of 2026-12-02."""

from __future__ import annotations

from datetime import date

import pytest

from services.membership.contract.commands.development import RecordAssessment
from services.membership.contract.commands.members import RegisterMember
from services.membership.contract.commands.transfers import ApproveTransferOut
from services.membership.contract.events.common import Contact, DuesCategory, MemberStatus
from services.membership.contract.events.transfers import TransferChannel
from services.membership.domain.texts import bounded
from services.pure.errors import DomainError
from services.pure.identity import Actor, Role

COUNTY = Actor(subject="ca", role=Role.COUNTY_ADMIN, org_id="county")
TODAY = date(2026, 12, 2)


def _assessment(summary: str) -> RecordAssessment:
    return RecordAssessment(actor=COUNTY, today=TODAY, person_id="p-1", assessed_on=TODAY, summary=summary)


def test_a_pasted_assessment_summary_is_refused_naming_the_field_and_its_limit_not_the_text() -> None:
    with pytest.raises(DomainError, match="summary is 100,000 characters long; it takes at most 2,000") as refused:
        bounded(_assessment("好" * 100_000))
    assert "好" not in refused.value.detail
    bounded(_assessment("好" * 2_000))  # an assessment is written in words: a reason's limit, not a name's


def test_a_letter_number_of_thousands_of_characters_is_refused() -> None:
    letter = ApproveTransferOut(actor=COUNTY, today=TODAY, member_id="m-1", transfer_id="t-1",
                                letter_number="L" * 5_000, channel=TransferChannel.PAPER, issued_on=TODAY,
                                dues_paid_up_to="2026-11")
    with pytest.raises(DomainError, match="letter_number is 5,000 characters long"):
        bounded(letter)


def test_an_id_holding_a_phone_number_is_refused() -> None:
    with pytest.raises(DomainError, match="person_id"):
        bounded(RecordAssessment(actor=COUNTY, today=TODAY, person_id="13812345678", assessed_on=TODAY,
                                 summary="fine"))


def test_the_sealed_id_number_and_contact_are_left_to_their_own_rules() -> None:
    """The ID number's field ends in ``_id`` but is the person's number, sealed before it becomes an event."""
    bounded(RegisterMember(actor=COUNTY, today=TODAY, member_id="m-1", name="Li Wei", national_id="44030519900101001X",
                           formal_org_id="b-1", status=MemberStatus.FULL, dues_category=DuesCategory.WAGE_EARNER,
                           contact=Contact(phone="+86 138 0000 0000", address="地址" * 140)))
