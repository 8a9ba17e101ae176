"""Member aggregate: registration and the one evolve of the member's part of a person's stream.

The stream holds registration (here), standing (standing.py), mobility (mobility.py) and transfers
(transfers.py); each family's handler calls its own decider, and all fold into ``member_state.Member``
here. Development events (another module's) change the standing through ``apply_development``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, assert_never

from services.membership.contract.commands.members import RegisterMember
from services.membership.contract.events.common import MemberStatus
from services.membership.contract.events.development import Converted, ProbationaryAdmitted, ProbationCancelled
from services.membership.contract.events.members import (
    MemberDied,
    MemberRegistered,
    MembershipRemoved,
    MembershipRestored,
    MembershipSuspended,
    OutflowRegistered,
    PersonalDataErased,
    RemovalDecided,
    RemovalRejected,
)
from services.membership.contract.events.mobility import (
    CertificateInspected,
    CertificateIssued,
    CertificateReviewed,
    ContactRecorded,
    InflowRegistered,
    MemberReturned,
    ReportedToHomeOrganisation,
    ReportedToHost,
)
from services.membership.contract.events.transfers import (
    ReceiptReturned,
    TransferCancelled,
    TransferExpired,
    TransferLetterIssued,
    TransferLetterReissued,
    TransferReceived,
    TransferRequested,
)
from services.membership.domain import mobility, standing, transfers
from services.membership.domain.branches import Organisation
from services.membership.domain.member_state import INITIAL, Member
from services.membership.domain.mobility import MobilityEvent, may_vote_in
from services.membership.domain.personal import NAME_ONLY, Protected, birth_date_of
from services.membership.domain.rules import age_on, require_org_scope
from services.membership.domain.standing import StandingEvent
from services.membership.domain.transfers import TransferEvent
from services.membership.policy import policy_on
from services.membership.policy.mobility import MobilityPolicy, mobility_policy_on
from services.pure.dates import latest
from services.pure.due import DueItem
from services.pure.errors import AlreadyExists, DomainError, NotFound, StateConflict
from services.pure.personal_text import not_personal

__all__ = [
    "INITIAL", "Member", "MemberEvent", "apply_development", "due_items", "evolve", "may_vote_in", "register",
]

MemberEvent = MemberRegistered | StandingEvent | MobilityEvent | TransferEvent


def register(
    state: Member, command: RegisterMember, *, formal_org: Organisation, has_development_case: bool,
    personal: Protected,
) -> list[MemberRegistered]:
    """Register a member already in the Party: ``formal_org`` is the organisation registered into;
    ``has_development_case`` says the person's stream holds a development case (they join through it);
    ``personal``: their national ID number and contact, sealed (the event carries nothing else of them)."""
    if has_development_case:
        raise StateConflict("this person has a development case; they become a member through it")
    return [_register(state, command, formal_org, personal)]


def evolve(state: Member, event: MemberEvent) -> Member:
    match event:
        case MemberRegistered():
            return replace(
                INITIAL, exists=True, member_id=event.member_id, formal_org_id=event.formal_org_id,
                status=event.status, registered_on=event.registered_on, last_contact_on=event.registered_on,
            )
        case (MembershipSuspended() | RemovalDecided() | RemovalRejected() | MembershipRemoved() | MembershipRestored()
              | MemberDied()):
            return standing.evolve(state, event)
        case PersonalDataErased():
            # The person's record (personal.Person) keeps the erasure; the membership itself goes on.
            return state
        case (OutflowRegistered() | InflowRegistered() | ReportedToHost() | CertificateIssued() | CertificateReviewed()
              | CertificateInspected() | MemberReturned() | ContactRecorded() | ReportedToHomeOrganisation()):
            return mobility.evolve(state, event)
        case (TransferRequested() | TransferLetterIssued() | TransferLetterReissued() | TransferReceived()
              | ReceiptReturned() | TransferExpired() | TransferCancelled()):
            return transfers.evolve(state, event)
        case _:
            assert_never(event)


def apply_development(state: Member, event: Any) -> Member:
    """How development events (B6) change the member on the same stream; other events leave it unchanged.

    ``ProbationaryAdmitted`` makes the person a probationary member of the admitting organisation (their
    formal organisation from then on; the approval day counts as registration and contact);
    ``Converted`` makes them full (a suspended probationary member is restored as full later);
    ``ProbationCancelled`` ends the membership (status removed; a transfer in progress is closed).
    ``ProbationExtended`` and every earlier step change nothing here.
    """
    match event:
        case ProbationaryAdmitted():
            return replace(
                INITIAL, exists=True, member_id=event.person_id, formal_org_id=event.org_id,
                status=MemberStatus.PROBATIONARY, registered_on=event.approved_on,
                last_contact_on=latest(state.last_contact_on, event.approved_on),
            )
        case Converted() if state.exists:
            if state.status is MemberStatus.SUSPENDED:
                return replace(state, status_before_suspension=MemberStatus.FULL)
            return replace(state, status=MemberStatus.FULL)
        case ProbationCancelled() if state.exists:
            return replace(state, status=MemberStatus.REMOVED, transfer=None, removal_decision=None)
        case _:
            return state


def due_items(state: Member, on: date, policy: MobilityPolicy | None = None) -> list[DueItem]:
    """Everything the member's stream owes on ``on`` (D4): contact reviews (standing), the yearly report and
    certificate items (mobility), the letter and the lapse review (transfers). Sorted by due date. ``policy``:
    the one in force on ``on`` unless given."""
    policy = policy or mobility_policy_on(on)
    items = standing.due_items(state, on, policy) + mobility.due_items(state, on, policy) \
        + transfers.due_items(state, on, policy)
    return sorted(items, key=lambda i: (i.due_on, i.kind))


def _register(state: Member, cmd: RegisterMember, org: Organisation, personal: Protected) -> MemberRegistered:
    require_org_scope(cmd.actor, cmd.formal_org_id, "register members")
    if state.exists:
        raise AlreadyExists(f"member {cmd.member_id} is already registered")
    if not org.exists:
        raise NotFound(f"formal organisation {cmd.formal_org_id} does not exist; establish it first")
    if cmd.status not in (MemberStatus.PROBATIONARY, MemberStatus.FULL):
        raise DomainError("a member is registered as probationary or full; standing changes come later")
    if not cmd.name.strip():
        raise DomainError("name must not be empty")
    not_personal(cmd.name, "name", instead=NAME_ONLY)
    policy = policy_on(cmd.today)
    born = birth_date_of(personal)
    if cmd.member_since is not None and cmd.joined_on is not None and cmd.member_since < cmd.joined_on:
        raise DomainError(f"member_since {cmd.member_since} is before joined_on {cmd.joined_on}; check the dates")
    if cmd.joined_on is not None:
        if cmd.joined_on > cmd.today:
            raise DomainError(f"joined_on {cmd.joined_on} is in the future")
        if age_on(born, cmd.joined_on) < policy.minimum_age:
            raise DomainError(f"a member must be at least {policy.minimum_age} when joining; check joined_on")
    elif age_on(born, cmd.today) < policy.minimum_age:
        raise DomainError(f"a member must be at least {policy.minimum_age}; the national_id says otherwise")
    return MemberRegistered(
        member_id=cmd.member_id, name=cmd.name.strip(), national_id_masked=personal.national_id_masked or "",
        formal_org_id=cmd.formal_org_id, status=cmd.status, dues_category=cmd.dues_category,
        contact_masked=personal.contact_masked, personal=personal.sealed, joined_on=cmd.joined_on,
        registered_on=cmd.today, member_since=cmd.member_since,
    )
