"""No text the secondment service keeps in clear may carry a phone, ID, card, passport or permit number into an
event (services/secondment/domain; the check is services/pure/personal_text.py): each field refuses one with a
422 that names it, and the same command with an ordinary value is decided."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.investment.contract.events import REGISTRY as INVESTMENT
from services.investment.contract.events import FundsArrived, RegistrantKind
from services.kernel.events import Envelope
from services.secondment.contract.commands import (
    ChangeHeadcount,
    ChangePost,
    DecideEarlyEnd,
    DecideExtension,
    ListAsReserveCadre,
    ProposeCommendation,
    ProposePromotion,
    RecordCheckIn,
    RecordContribution,
    RequestEarlyEnd,
    RequestExtension,
    StartSecondment,
)
from services.secondment.contract.events import ContributionKind
from services.secondment.domain import cadres, secondments, units
from services.secondment.funds_credit import FUNDS_ARRIVED, contribution_for
from services.secondment.policy import DEFAULT_SECONDMENT_POLICY
from tests.unit.clear_text_guard import PERSONS_NUMBERS, refused_as_personal, refused_naming_the_field
from tests.unit.secondment.builders import (
    COUNTY,
    DEPARTED,
    PLACEMENT,
    SENDER,
    TODAY,
    a_cadre,
    a_unit,
    approve,
    away,
    capital,
    decide,
    given_,
    nominate,
    register_cadre,
    s,
    unit,
)

#: A policy whose project threshold one landed project meets, so a commendation is proposed by hand under it.
ONE_PROJECT = replace(DEFAULT_SECONDMENT_POLICY, version="one-project", commendation_project_threshold=1)


def _register_cadre(**text: str) -> None:
    cadres.decide(cadres.INITIAL, register_cadre(**text), unit=a_unit())


def _change_post(**text: str) -> None:
    fields = {"post": "head of station", "rank": "deputy chief", "pay_grade": "grade 6", **text}
    cadres.decide(a_cadre(), ChangePost(actor=SENDER, today=TODAY, cadre_id="c-1", changed_on=date(2024, 1, 1),
                                        **fields), away=False)


def _headcount(reason: str) -> None:
    units.decide(a_unit(), ChangeHeadcount(actor=SENDER, today=TODAY, unit_id="u-1", headcount=41,
                                           effective_from=date(2025, 1, 1), reason=reason))


def _start(**placement: Any) -> None:
    decide(given_(nominate(), approve()), s(StartSecondment, departed_on=DEPARTED,
                                            placement=replace(PLACEMENT, **placement)))


def _extension() -> RequestExtension:
    return RequestExtension(actor=SENDER, today=TODAY, secondment_id="s-1", months=6, requested_on=date(2025, 12, 1),
                            reason="project signing in May")


def _early_end() -> RequestEarlyEnd:
    return RequestEarlyEnd(actor=SENDER, today=TODAY, secondment_id="s-1", last_day=date(2025, 6, 30),
                           requested_on=date(2025, 6, 1), reason="family illness")


def _commend(reason: str) -> None:
    # One landed project: not enough under the default policy, enough under the one the proposal is made under.
    landed = s(RecordContribution, contribution_id="p-1", kind=ContributionKind.PROJECT,
               description="tea factory landed", contributed_on=date(2025, 1, 10))
    decide(given_(landed, state=away()), s(ProposeCommendation, proposed_on=date(2025, 6, 1), reason=reason),
           policy=ONE_PROJECT)


#: Every text field a secondment command keeps in clear (but the ids it is given): how to send it, and an
#: ordinary value it takes.
FIELDS: dict[str, tuple[Callable[[str], object], str]] = {
    "RegisterUnit.name": (lambda t: units.decide(units.INITIAL, unit(name=t)), "东城镇农业服务中心"),
    "ChangeHeadcount.reason": (_headcount, "new establishment approved in 2025"),
    "RegisterCadre.name": (lambda t: _register_cadre(name=t), "李明"),
    "RegisterCadre.post": (lambda t: _register_cadre(post=t), "deputy head of station"),
    "RegisterCadre.rank": (lambda t: _register_cadre(rank=t), "一级主任科员"),
    "RegisterCadre.pay_grade": (lambda t: _register_cadre(pay_grade=t), "grade 7"),
    "ChangePost.post": (lambda t: _change_post(post=t), "head of station"),
    "ChangePost.rank": (lambda t: _change_post(rank=t), "二级主任科员"),
    "ChangePost.pay_grade": (lambda t: _change_post(pay_grade=t), "grade 6"),
    "NominateCadre.placement.host_name": (lambda t: decide(secondments.INITIAL, nominate(
        placement=replace(PLACEMENT, host_name=t))), "Shenzhen Hardware Co."),
    "NominateCadre.placement.locality": (lambda t: decide(secondments.INITIAL, nominate(
        placement=replace(PLACEMENT, locality=t))), "Shenzhen"),
    "NominateCadre.placement.role_at_host": (lambda t: decide(secondments.INITIAL, nominate(
        placement=replace(PLACEMENT, role_at_host=t))), "副总经理"),
    "StartSecondment.placement.host_name": (lambda t: _start(host_name=t), "Shenzhen Hardware Co."),
    "StartSecondment.placement.locality": (lambda t: _start(locality=t), "Longhua, Shenzhen"),
    "DecideNomination.reason": (lambda t: decide(given_(nominate()), approve(approved=False, reason=t)),
                                "the host withdrew its offer"),
    "RecordCheckIn.thinking": (lambda t: decide(away(), s(RecordCheckIn, checked_in_on=date(2024, 4, 1),
                                                          thinking=t, work="")), "settled in; studies every week"),
    "RecordCheckIn.work": (lambda t: decide(away(), s(RecordCheckIn, checked_in_on=date(2024, 4, 1), thinking="",
                                                      work=t)), "3 suppliers visited, 2 of 5 contracts drafted"),
    "RecordContribution.description": (lambda t: decide(away(), capital("1000", description=t)),
                                       "factory relocated to the county"),
    "RecordContribution.source_ref": (lambda t: decide(away(), capital("1000", source_ref=t)), "HT-2025-0031"),
    "RequestExtension.reason": (lambda t: decide(away(), replace(_extension(), reason=t)), "project signing in May"),
    "DecideExtension.reason": (lambda t: decide(given_(_extension(), state=away()), s(
        DecideExtension, actor=COUNTY, approved=False, decided_on=date(2025, 12, 10), reason=t)),
        "the unit needs the cadre back"),
    "RequestEarlyEnd.reason": (lambda t: decide(away(), replace(_early_end(), reason=t)), "family illness"),
    "DecideEarlyEnd.reason": (lambda t: decide(given_(_early_end(), state=away()), s(
        DecideEarlyEnd, actor=COUNTY, approved=False, decided_on=date(2025, 6, 5), reason=t)),
        "project not finished"),
    "ProposeCommendation.reason": (_commend, "two projects landed"),
    "ProposePromotion.reason": (lambda t: decide(away(), s(ProposePromotion, proposed_on=date(2026, 1, 5),
                                                           reason=t)), "outstanding appraisal at the host"),
    "ListAsReserveCadre.reason": (lambda t: decide(away(), s(ListAsReserveCadre, actor=COUNTY,
                                                             listed_on=date(2026, 1, 5), reason=t)),
                                  "qualifies as reserve cadre"),
}



@pytest.mark.parametrize("field", sorted(FIELDS))
def test_a_phone_in_a_text_kept_in_clear_is_refused_naming_the_field(field: str) -> None:
    refused_naming_the_field(FIELDS[field][0], field)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_the_same_command_with_an_ordinary_text_is_decided(field: str) -> None:
    send, ordinary = FIELDS[field]
    send(ordinary)


@settings(max_examples=40, deadline=None)  # the shapes' edges are tested in tests/unit/pure/test_personal_text.py
@given(st.sampled_from(["RecordCheckIn.work", "RegisterCadre.name", "RecordContribution.description"]),
       PERSONS_NUMBERS)
def test_any_number_of_a_person_is_refused_however_written(field: str, text: str) -> None:
    refused_as_personal(FIELDS[field][0], field, text)


@settings(max_examples=200)
@given(st.uuids(), st.uuids(), st.integers(1, 99), st.from_regex(r"[A-Z]{1,4}-20[0-9]{2}-[0-9]{1,5}", fullmatch=True))
def test_a_contribution_the_funds_credit_policy_records_is_never_refused_for_the_ids_it_names(
        lead: uuid.UUID, event_id: uuid.UUID, instalment: int, reference: str) -> None:
    # Its description names the lead by its id and its source the investment event's: one random UUID in about
    # 140 holds a phone's shape, which must not cost a cadre the credit (services/pure/personal_text.py).
    arrived = FundsArrived(lead_id=str(lead), instalment=instalment, amount=Decimal("500000.50"),
                           arrived_on=date(2025, 1, 15), reference=reference, total_arrived=Decimal("500000.50"),
                           registrant_kind=RegistrantKind.CADRE, registrant_id="c-1", actor="county_admin:x")
    env = Envelope(id=event_id, source=INVESTMENT.source, type=FUNDS_ARRIVED, time=datetime(2025, 1, 16, 9, tzinfo=UTC),
                   subject=str(lead), stream_id=str(lead), stream_type="lead", stream_version=7,
                   actor="county_admin:x", correlation_id="corr-1", causation_id=None,
                   data=INVESTMENT.encode(arrived), prev_hash=None, hash=b"h", position=42)
    (recorded, *_) = decide(away(), contribution_for(arrived, env, "s-1"))
    assert str(lead) in recorded.description
