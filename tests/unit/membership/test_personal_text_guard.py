"""No text membership keeps in clear may carry a phone, ID, card, passport or permit number into an event
(services/membership/domain/personal.py; the check is services/pure/personal_text.py): each field refuses one
with a 422 that names it, and the same command with an ordinary value is decided. The sealed fields — the ID
number, the contact — are what holds the real values, and are never refused for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.membership.contract.commands.branches import RegisterHostOrganisation
from services.membership.contract.commands.development import (
    CancelCase,
    InterviewApplicant,
    RecordAssessment,
)
from services.membership.contract.commands.development import RecordTraining as RecordDevelopmentTraining
from services.membership.contract.commands.dues import ApproveExemption, ApproveReduction, RecordValidReason
from services.membership.contract.commands.meetings import CorrectMeetingDate
from services.membership.contract.commands.members import ErasePersonalData
from services.membership.contract.events.dues import PayerKind
from services.membership.domain import branches, development, erasure, meetings, members, training
from services.membership.domain.person import Person
from tests.unit.clear_text_guard import PERSONS_NUMBERS, refused_as_personal, refused_naming_the_field
from tests.unit.membership import development_builders as dev
from tests.unit.membership.builders import (
    ADMIN,
    BRANCH_ID,
    EXTERNAL,
    SECRETARY,
    TODAY,
    a_member_away,
    a_member_with_a_letter_out,
    a_receiving_branch,
    a_registered_member,
    an_established_branch,
    cancel_transfer,
    decide,
    establish,
    issue_certificate,
    outflow,
    record_contact,
    record_meeting,
    record_training,
    register,
    register_inflow,
    register_return,
    reissue_letter,
    remove_as_lapsed,
    report_home,
    request_transfer,
    return_certificate,
    review_certificate,
    roster,
    run,
    suspend,
)
from tests.unit.membership.test_dues import account, c, pay, relief
from tests.unit.membership.test_dues import run as run_dues
from tests.unit.membership.test_organisations import postpone, with_committee

#: What someone might paste into a note: a mobile, grouped as people write it.
SIX_MONTHS_ON = date(2027, 6, 1)


def _branch(**text: object) -> None:
    branches.decide(branches.INITIAL, establish(**text))


def _host(**text: str) -> None:
    branches.decide(branches.INITIAL, RegisterHostOrganisation(
        actor=ADMIN, today=TODAY, org_id="host-1", registered_on=date(2026, 2, 1),
        **{"name": "Longhua street Party committee", "locality": "Longhua, Shenzhen", **text}))


def _meeting(**text: str) -> None:
    meetings.decide(meetings.INITIAL, record_meeting(**text), organisation=an_established_branch(),
                    formal_member_ids=roster(3))


def _correct_meeting(reason: str) -> None:
    (made,) = meetings.decide(meetings.INITIAL, record_meeting(), organisation=an_established_branch(),
                              formal_member_ids=roster(3))
    state = meetings.evolve(meetings.INITIAL, made)
    meetings.decide(state, CorrectMeetingDate(
        actor=SECRETARY, today=TODAY, meeting_id="mtg-1", corrects_version=1,
        held_on=date(2026, 5, 11), reason=reason), organisation=an_established_branch(), formal_member_ids=roster(3))


def _inflow(**text: object) -> None:
    decide(members.INITIAL, register_inflow(**text), host_org=an_established_branch())


def _certified() -> members.Member:
    return run(a_member_away(), issue_certificate())


def _transfer(**text: object) -> None:
    decide(a_registered_member(), request_transfer(**text), receiving_org=a_receiving_branch())


def _develop(state: Callable[[], object], command: object) -> None:
    dev.decide(state(), command)  # type: ignore[arg-type]


def _relief(cls: type, reason: str) -> None:
    run_dues(relief(cls, reason=reason), state=account(), next_higher_org_id="township-a")


def _erase(reason: str) -> None:
    erasure.erase(Person(member=a_registered_member()), ErasePersonalData(
        actor=ADMIN, today=TODAY, member_id="m-1", reason=reason), key_id="key-m-1")


#: Every text field a membership command keeps in clear (but the ids it is given): how to send it, and an
#: ordinary value it takes.
FIELDS: dict[str, tuple[Callable[[str], object], str]] = {
    "EstablishBranch.name": (lambda t: _branch(name=t), "深圳龙华流动党员支部"),
    "EstablishBranch.destination": (lambda t: _branch(destination=t), "Shenzhen, Guangdong"),
    "EstablishBranch.industry": (lambda t: _branch(industry=t), "construction"),
    "EstablishBranch.host_guidance_org": (lambda t: _branch(host_guidance_org=t), "Longhua street committee"),
    "EstablishBranch.covered_units": (lambda t: _branch(covered_units=(t,)), "Xin Da Electronics"),
    "RegisterHostOrganisation.name": (lambda t: _host(name=t), "龙华街道党工委"),
    "RegisterHostOrganisation.locality": (lambda t: _host(locality=t), "Longhua, Shenzhen"),
    "PostponeElection.reason": (lambda t: branches.decide(with_committee(), postpone(date(2030, 4, 1), reason=t)),
                                "spring migration: most members are away until March"),
    "RecordMeeting.topic": (lambda t: _meeting(topic=t), "学习二十大精神 第3次"),
    "RecordMeeting.minutes_ref": (lambda t: _meeting(minutes_ref=t), "minutes/2026-05-10.pdf"),
    "CorrectMeetingDate.reason": (_correct_meeting, "the minutes give the 11th"),
    "RecordTraining.course": (lambda t: training.decide(training.INITIAL, record_training(course=t),
                                                        member_org_ids=frozenset({BRANCH_ID})), "党员冬训 2026"),
    "RegisterMember.name": (lambda t: decide(members.INITIAL, register(name=t), formal_org=an_established_branch()),
                            "李伟"),
    "RegisterOutflow.destination": (lambda t: decide(a_registered_member(), outflow(destination=t)),
                                    "Dongguan, Guangdong"),
    "RegisterOutflow.employer": (lambda t: decide(a_registered_member(), outflow(employer=t)), "Xin Da Electronics"),
    "SuspendMembership.reason": (lambda t: decide(a_registered_member(), suspend(reason=t)),
                                 "unreachable by phone, WeChat and family since November"),
    "RemoveAsLapsed.reason": (lambda t: decide(run(a_registered_member(), suspend()), remove_as_lapsed(reason=t)),
                              "still unreachable two years after suspension"),
    "RemoveAsLapsed.minutes_ref": (lambda t: decide(run(a_registered_member(), suspend()),
                                                    remove_as_lapsed(minutes_ref=t)), "会议记录本第12页"),
    "ErasePersonalData.reason": (_erase, "request PIPL-2026-004 of 3 March"),
    "RecordContact.note": (lambda t: decide(a_member_away(), record_contact(note=t)), "called; back in February"),
    "ReportToHomeOrganisation.summary": (lambda t: decide(a_member_away(), report_home(summary=t)),
                                         "working at Xin Da, attending the host branch's theme days"),
    "IssueActivityCertificate.certificate_number": (lambda t: decide(a_member_away(),
                                                                     issue_certificate(certificate_number=t)),
                                                    "LD-2026-007"),
    "IssueActivityCertificate.reason": (lambda t: decide(a_member_away(), issue_certificate(reason=t)),
                                        "seasonal factory work"),
    "IssueActivityCertificate.destination": (lambda t: decide(a_member_away(), issue_certificate(destination=t)),
                                             "Dongguan"),
    "IssueActivityCertificate.transfer_impossible_reason": (
        lambda t: decide(a_member_away(), issue_certificate(transfer_impossible=True, transfer_impossible_reason=t)),
        "the employer's contract is monthly"),
    "ReviewCertificate.note": (lambda t: decide(_certified(), review_certificate(note=t)), "attends regularly"),
    "ReturnCertificate.findings": (lambda t: decide(_certified(), return_certificate(findings=t)),
                                   "all activities signed by the host"),
    "RegisterReturn.findings": (lambda t: decide(_certified(), register_return(findings=t)), "certificate complete"),
    "RegisterInflow.name": (lambda t: _inflow(name=t), "陈军"),
    "RegisterInflow.certificate_number": (lambda t: _inflow(certificate_number=t), "GD-2026-0042"),
    "RegisterInflow.certificate_issuer": (lambda t: _inflow(certificate_issuer=t), "Chang'an Town Committee"),
    "RegisterInflow.home_org.name": (lambda t: _inflow(home_org=replace(EXTERNAL, name=t)), "长安镇党委"),
    "RegisterInflow.home_org.address": (lambda t: _inflow(home_org=replace(EXTERNAL, address=t)),
                                        "1 Zhen'an Road, Chang'an, Dongguan, Guangdong 523850"),
    "RequestTransfer.reason": (lambda t: _transfer(reason=t), "settled in Dongguan with a long-term contract"),
    "RequestTransfer.to_external.name": (lambda t: _transfer(to_org_id=None, to_external=replace(EXTERNAL, name=t)),
                                         "Chang'an Town Committee, Dongguan"),
    "RequestTransfer.to_external.address": (
        lambda t: _transfer(to_org_id=None, to_external=replace(EXTERNAL, address=t)), "东莞市长安镇振安路1号"),
    "ApproveTransferOut.letter_number": (lambda t: a_member_with_a_letter_out(letter_number=t), "组转字2026第12号"),
    "ReissueLetter.letter_number": (lambda t: decide(a_member_with_a_letter_out(), reissue_letter(letter_number=t)),
                                    "ZZ-2027-0003"),
    "ReissueLetter.reason": (lambda t: decide(a_member_with_a_letter_out(), reissue_letter(reason=t)),
                             "the member lost the paper letter on the train"),
    "CancelTransfer.reason": (lambda t: decide(run(a_registered_member(), request_transfer(),
                                                   receiving_org=a_receiving_branch()), cancel_transfer(reason=t)),
                              "the contract fell through"),
    "SubmitApplication.name": (lambda t: _develop(lambda: development.INITIAL, dev.apply(name=t)), "王芳"),
    "InterviewApplicant.interviewer": (
        lambda t: _develop(dev.applicant, dev.s(InterviewApplicant, interviewer=t, interviewed_on=date(2024, 2, 1))),
        "sec"),
    "RecordAssessment.summary": (
        lambda t: _develop(dev.activist, dev.s(RecordAssessment, assessed_on=date(2024, 9, 1), summary=t)),
        "steady; leads the village's flood team"),
    "CompletePoliticalReview.consulted_orgs": (lambda t: _develop(dev.dev_target, dev.review(consulted_orgs=(t,))),
                                               "Dongcun village branch"),
    "CompletePoliticalReview.hukou_place_org": (lambda t: _develop(dev.dev_target, dev.review(hukou_place_org=t)),
                                                "village-x"),
    "CompletePoliticalReview.residence_org": (lambda t: _develop(dev.dev_target, dev.review(residence_org=t)),
                                              "street-y"),
    "RecordTraining(development).course": (
        lambda t: _develop(dev.dev_target, dev.s(RecordDevelopmentTraining, course=t, completed_on=date(2025, 3, 20),
                                                 hours=Decimal(24))), "入党积极分子培训班"),
    "PreReview.remarks": (lambda t: _develop(dev.ready_target, dev.pre_review(approved=False, remarks=t)),
                          "the political review is not yet complete"),
    "ApproveAdmission.special_reason": (lambda t: _develop(dev.voted, dev.approve(special_reason=t)),
                                        "the committee met late after the flood"),
    "CancelCase.reason": (lambda t: _develop(dev.applicant, dev.s(CancelCase, cancelled_on=date(2024, 2, 1),
                                                                  reason=t)), "moving abroad"),
    "ApproveReduction.reason": (lambda t: _relief(ApproveReduction, t), "illness"),
    "ApproveExemption.reason": (lambda t: _relief(ApproveExemption, t), "illness"),
    "RecordValidReason.reason": (lambda t: run_dues(c(RecordValidReason, from_month="2025-10", reason=t),
                                                    state=account()), "flood"),
    "RecordPayment.payer_name": (lambda t: run_dues(pay(("2025-01", "2025-02"), "80.00", payer_kind=PayerKind.PROXY,
                                                        payer_name=t), state=account()), "Li Na"),
}



@pytest.mark.parametrize("field", sorted(FIELDS))
def test_a_phone_in_a_text_kept_in_clear_is_refused_naming_the_field(field: str) -> None:
    refused_naming_the_field(FIELDS[field][0], field)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_the_same_command_with_an_ordinary_text_is_decided(field: str) -> None:
    send, ordinary = FIELDS[field]
    send(ordinary)


@settings(max_examples=40, deadline=None)  # the shapes' edges are tested in tests/unit/pure/test_personal_text.py
@given(st.sampled_from(["RecordContact.note", "RegisterOutflow.destination", "RequestTransfer.reason",
                        "RegisterMember.name"]),
       PERSONS_NUMBERS)
def test_any_number_of_a_person_is_refused_however_written(field: str, text: str) -> None:
    refused_as_personal(FIELDS[field][0], field, text)


def test_the_sealed_id_number_and_contact_hold_the_real_values() -> None:
    # The ID number and the phone are what membership seals with the person's key: never refused for them.
    cmd = register()
    assert cmd.national_id and cmd.contact.phone
    (registered,) = decide(members.INITIAL, cmd, formal_org=an_established_branch())
    assert registered.contact_masked.phone.endswith("0000") and "*" in registered.national_id_masked
    (away,) = decide(a_registered_member(), outflow())
    assert away.contact_masked.phone.endswith("0000")
