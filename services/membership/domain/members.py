"""Member aggregate: registration, standing, and the one decide/evolve of the member's stream.

The stream holds registration, standing (here), mobility (mobility.py) and transfers (transfers.py);
all fold into ``member_state.Member``. Development events (another module's) change the standing
through ``apply_development``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, assert_never

from services.membership.contract.commands.members import (
    ApproveRemoval,
    RecordDeath,
    RegisterMember,
    RegisterOutflow,
    RejectRemoval,
    RemoveAsLapsed,
    RestoreMembership,
    SuspendMembership,
)
from services.membership.contract.commands.mobility import (
    IssueActivityCertificate,
    RecordContact,
    RegisterInflow,
    RegisterReturn,
    ReportToHomeOrganisation,
    ReportToHost,
    ReturnCertificate,
    ReviewCertificate,
)
from services.membership.contract.commands.transfers import (
    ApproveTransferOut,
    CancelTransfer,
    ExpireLetter,
    ReceiveTransfer,
    ReissueLetter,
    RequestTransfer,
    ReturnReceipt,
)
from services.membership.contract.events.common import MemberStatus
from services.membership.contract.events.development import Converted, ProbationaryAdmitted, ProbationCancelled
from services.membership.contract.events.members import (
    MemberDied,
    MemberRegistered,
    MembershipRemoved,
    MembershipRestored,
    MembershipSuspended,
    OutflowRegistered,
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
from services.membership.domain.member_state import INITIAL, Member, latest
from services.membership.domain.mobility import MobilityCommand, MobilityEvent, branch_needed, may_vote_in
from services.membership.domain.rules import age_on, birth_date_from_national_id, require_org_scope
from services.membership.domain.standing import StandingCommand, StandingEvent
from services.membership.domain.transfers import TransferCommand, TransferEvent
from services.membership.policy import policy_on
from services.membership.policy.mobility import DEFAULT_MOBILITY_POLICY, MobilityPolicy
from services.pure.due import DueItem
from services.pure.errors import AlreadyExists, DomainError, NotFound

__all__ = [
    "INITIAL", "Member", "MemberCommand", "MemberEvent", "apply_development", "branch_needed", "decide", "due_items",
    "evolve", "may_vote_in",
]

MemberCommand = RegisterMember | StandingCommand | MobilityCommand | TransferCommand
MemberEvent = MemberRegistered | StandingEvent | MobilityEvent | TransferEvent


def decide(
    state: Member, command: MemberCommand, *, formal_org: Organisation | None = None,
    host_org: Organisation | None = None, receiving_org: Organisation | None = None,
    members_at_destination: int | None = None, months_without_dues_or_life: int | None = None,
    policy: MobilityPolicy = DEFAULT_MOBILITY_POLICY,
) -> list[MemberEvent]:
    """The member stream's one decider. Context from other aggregates, each needed only by some commands:

    ``formal_org`` (RegisterMember: the organisation registered into), ``host_org`` (RegisterInflow),
    ``receiving_org`` (RequestTransfer to an organisation here), ``members_at_destination``
    (IssueActivityCertificate, optional: members going to that place, for the cluster rule),
    ``months_without_dues_or_life`` (RemoveAsLapsed on that ground, from dues and meetings).
    """
    match command:
        case RegisterMember():
            return [_register(state, command, formal_org or Organisation())]
        case (SuspendMembership() | RemoveAsLapsed() | ApproveRemoval() | RejectRemoval() | RestoreMembership()
              | RecordDeath()):
            return list(standing.decide(state, command, policy=policy,
                                        months_without_dues_or_life=months_without_dues_or_life))
        case (RegisterOutflow() | RegisterInflow() | ReportToHost() | IssueActivityCertificate() | ReviewCertificate()
              | ReturnCertificate() | RegisterReturn() | RecordContact() | ReportToHomeOrganisation()):
            return list(mobility.decide(state, command, policy=policy, host_org=host_org,
                                        members_at_destination=members_at_destination))
        case (RequestTransfer() | ApproveTransferOut() | ReceiveTransfer() | ReturnReceipt() | ReissueLetter()
              | ExpireLetter() | CancelTransfer()):
            return list(transfers.decide(state, command, policy=policy, receiving_org=receiving_org))
        case _:
            assert_never(command)


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


def due_items(state: Member, on: date, policy: MobilityPolicy = DEFAULT_MOBILITY_POLICY) -> list[DueItem]:
    """Everything the member's stream owes on ``on`` (D4): contact reviews (standing), the yearly report and
    certificate items (mobility), the letter and the lapse review (transfers). Sorted by due date."""
    items = standing.due_items(state, on, policy) + mobility.due_items(state, on, policy) \
        + transfers.due_items(state, on, policy)
    return sorted(items, key=lambda i: (i.due_on, i.kind))


def _register(state: Member, cmd: RegisterMember, org: Organisation) -> MemberRegistered:
    require_org_scope(cmd.actor, cmd.formal_org_id, "register members")
    if state.exists:
        raise AlreadyExists(f"member {cmd.member_id} is already registered")
    if not org.exists:
        raise NotFound(f"formal organisation {cmd.formal_org_id} does not exist; establish it first")
    if cmd.status not in (MemberStatus.PROBATIONARY, MemberStatus.FULL):
        raise DomainError("a member is registered as probationary or full; standing changes come later")
    if not cmd.name.strip():
        raise DomainError("name must not be empty")
    policy = policy_on(cmd.today)
    born = birth_date_from_national_id(cmd.national_id)
    if cmd.joined_on is not None:
        if cmd.joined_on > cmd.today:
            raise DomainError(f"joined_on {cmd.joined_on} is in the future")
        if age_on(born, cmd.joined_on) < policy.minimum_age:
            raise DomainError(f"a member must be at least {policy.minimum_age} when joining; check joined_on")
    elif age_on(born, cmd.today) < policy.minimum_age:
        raise DomainError(f"a member must be at least {policy.minimum_age}; the national_id says otherwise")
    return MemberRegistered(
        member_id=cmd.member_id, name=cmd.name.strip(), national_id=cmd.national_id.upper(),
        formal_org_id=cmd.formal_org_id, status=cmd.status, dues_category=cmd.dues_category, contact=cmd.contact,
        joined_on=cmd.joined_on, registered_on=cmd.today,
    )
