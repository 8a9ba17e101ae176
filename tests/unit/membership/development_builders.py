"""Builders for member development tests: each stage of a case reached by real commands, valid by default."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from services.kernel.handling import fold
from services.membership.contract.commands.development import (
    ApplyForConversion,
    ApproveAdmission,
    ApproveConversion,
    AssignCultivationContacts,
    AssignIntroducers,
    CompletePoliticalReview,
    DesignateActivist,
    DesignateDevelopmentTarget,
    HoldAdmissionVote,
    HoldConversionVote,
    InterviewApplicant,
    PreReview,
    RecordTraining,
    SubmitApplication,
    TakeOath,
)
from services.membership.contract.events import Contact
from services.membership.contract.events.development import (
    ApplicationRoute,
    ConversionOutcome,
    DecidingBody,
    Nomination,
)
from services.membership.domain import development
from services.membership.domain.development import DevelopmentCase
from services.pure.identity import Actor, Role
from tests.unit.membership.builders import personal_of

TODAY = date(2030, 12, 31)
PERSON = "p-1"
SECRETARY = Actor(subject="sec", role=Role.BRANCH_SECRETARY, org_id="b-1")
TOWNSHIP = Actor(subject="tc", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a")
APPLICANT = Actor(subject=PERSON, role=Role.MEMBER)
FULL_MEMBERS = frozenset({"m-1", "m-2", "m-3"})
CONTEXT: dict[str, Any] = {"full_member_ids": FULL_MEMBERS, "approver_has_authority": True,
                           "entitled_full_members": 10, "org_is_temporary": False}
ACTIVIST_ON = date(2024, 3, 1)
VOTE_ON = date(2025, 4, 15)
PROBATION_END = date(2026, 4, 15)

def apply(**o: Any) -> SubmitApplication:
    return replace(SubmitApplication(
        actor=APPLICANT, today=TODAY, person_id=PERSON, name="Wang Fang", birth_date=date(1995, 3, 10),
        contact=Contact(phone="+86 139 0000 0000"), org_id="b-1", route=ApplicationRoute.MOBILE_MEMBER_ORGANISATION,
        applied_on=date(2024, 1, 15), is_mobile=True), **o)


def s(cls: Any, **fields: Any) -> Any:
    """A command of ``cls`` for the person, acted by the secretary unless ``actor`` is given."""
    return cls(**{"actor": SECRETARY, "today": TODAY, "person_id": PERSON, **fields})


def interview(on: date = date(2024, 2, 1)) -> InterviewApplicant:
    return s(InterviewApplicant, interviewer="sec", interviewed_on=on)


def designate(on: date = ACTIVIST_ON, **o: Any) -> DesignateActivist:
    return s(DesignateActivist, **{"nomination": Nomination.MEMBERS, "decided_by": DecidingBody.GENERAL_MEETING,
                                   "designated_on": on, "filed_with_org_id": "township-a", **o})


def contacts(*ids: str, on: date = ACTIVIST_ON, **o: Any) -> AssignCultivationContacts:
    return s(AssignCultivationContacts, contact_member_ids=ids or ("m-1",), assigned_on=on, **o)


def target(on: date = date(2025, 3, 1), **o: Any) -> DesignateDevelopmentTarget:
    return s(DesignateDevelopmentTarget, **{"decided_by": DecidingBody.GENERAL_MEETING, "designated_on": on,
                                            "filed_with_org_id": "township-a", **o})


def introducers(*ids: str) -> AssignIntroducers:
    return s(AssignIntroducers, introducer_member_ids=ids or ("m-1", "m-2"), assigned_on=date(2025, 3, 5))


def review(**o: Any) -> CompletePoliticalReview:
    return s(CompletePoliticalReview, **{"reviewed_on": date(2025, 3, 10), "qualified": True,
                                         "hukou_place_org": "village-x", "residence_org": "street-y", **o})


def training(hours: str = "24", days: int = 0) -> RecordTraining:
    return s(RecordTraining, course="target course", completed_on=date(2025, 3, 20), hours=Decimal(hours), days=days)


def pre_review(**o: Any) -> PreReview:
    return s(PreReview, **{"actor": TOWNSHIP, "reviewed_on": date(2025, 4, 1), "approved": True, **o})


def vote(present: int = 8, yes: int = 7, **o: Any) -> HoldAdmissionVote:
    return s(HoldAdmissionVote, **{"held_on": VOTE_ON, "present": present, "yes": yes, "no": present - yes,
                                   "abstain": 0, **o})


def approve(**o: Any) -> ApproveAdmission:
    return s(ApproveAdmission, **{"actor": TOWNSHIP, "talked_on": date(2025, 5, 1), "approved_on": date(2025, 5, 10),
                                  **o})


def conversion_vote(resolution: ConversionOutcome = ConversionOutcome.CONVERT, **o: Any) -> HoldConversionVote:
    return s(HoldConversionVote, **{"held_on": date(2026, 4, 20), "resolution": resolution, "present": 8, "yes": 7,
                                    "no": 1, "abstain": 0, **o})


def approve_conversion(outcome: ConversionOutcome = ConversionOutcome.CONVERT, **o: Any) -> ApproveConversion:
    return s(ApproveConversion, **{"actor": TOWNSHIP, "outcome": outcome, "approved_on": date(2026, 5, 1), **o})


def decide(state: DevelopmentCase, cmd: Any, **ctx: Any) -> list[Any]:
    personal = {"personal": personal_of(cmd)} if isinstance(cmd, SubmitApplication) else {}
    return development.decide(state, cmd, **{**CONTEXT, **personal, **ctx})


def given_(*commands: Any, state: DevelopmentCase = development.INITIAL, **ctx: Any) -> DevelopmentCase:
    for cmd in commands:
        state = fold(development.evolve, state, decide(state, cmd, **ctx))
    return state


def applicant() -> DevelopmentCase:
    return given_(apply())


def activist() -> DevelopmentCase:
    return given_(interview(), designate(), contacts(), state=applicant())


def dev_target() -> DevelopmentCase:
    return given_(target(), state=activist())


def ready_target() -> DevelopmentCase:
    return given_(introducers(), review(), training(), state=dev_target())


def voted() -> DevelopmentCase:
    return given_(pre_review(), vote(), state=ready_target())


def probationary() -> DevelopmentCase:
    return given_(approve(), s(TakeOath, sworn_on=date(2025, 5, 20)), state=voted())


def applied_for_conversion() -> DevelopmentCase:
    return given_(s(ApplyForConversion, actor=APPLICANT, applied_on=PROBATION_END), state=probationary())
