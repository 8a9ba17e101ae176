"""Membership's scope: the one place that decides whether a caller reaches the record a command touches.

The command API calls :func:`authorize` for every membership command (``SERVICE.authorize``), after the
command is built and before its handler loads anything for it; the personal-data read calls
:func:`require_member_reach`. Each command is mapped to the *place* of the record it touches
(:func:`place_of`) and ``services.pure.scope.require_reach`` says whether the caller's role reaches it:

- an organisation: itself and its township — the first township committee up its home organisation (an
  outstation branch) or parent chain. An outstation branch's home organisation is its township by
  definition (the domain establishes it so), even when that committee is not recorded as an organisation.
  An organisation that is not recorded has no township: only the county (or a township committee that
  *is* that organisation) reaches it.
- a member: their formal organisation and its township (a member from outside the county: the host
  organisation they take part at), the host organisations they reported to or hold a certificate at,
  the organisation a transfer is taking them to and the host organisation that guides their branch (hosts),
  and themselves (people).
- an outstation branch linked to a registered host organisation (``HostGuidanceLinked``): that host is
  among the hosts of the branch's place, so the host role's scope is derived from the link, never a label.
  A host organisation's own records (its meetings) are placed at it: no township, only the county and it.
- a development case: the case's organisation, and the applicant.
- dues: the member's place; a branch's remittances: the branch.
- a record being created is placed where it is created: an organisation under its parent, an outstation
  branch at its home organisation, a member at their formal organisation, an inflow at its host, an
  application at its organisation, a meeting or a remittance at its organisation.
- receiving a transfer (and continuing dues after it) is the receiving organisation's act: its place.

Records that do not exist are placed nowhere but with the county, so a caller out of scope learns nothing
from a 403 about what exists. The deciders keep their own role and scope checks (``domain/rules.py``):
they are now redundant for scope, never wider than this rule, and still give the finer answers (which
organisation of the caller's may register members, who approves what).

Public (readable by every role) is the branch directory, served by the gateway's read side; nothing
here blocks it. Secondment and investment decide scope in their own deciders
(``secondment/domain/common.py require_sending_unit``, ``investment/domain/lead_state.py
require_lead_scope``).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from typing import Any, assert_never, cast

from services.kernel.handling import state_of
from services.kernel.store import EventStore
from services.membership.contract.commands import development as dev
from services.membership.contract.commands import dues
from services.membership.contract.commands.branches import (
    AdvanceElection,
    ApproveSecretary,
    ElectCommittee,
    ElectSecretary,
    EstablishBranch,
    EstablishOrganisation,
    LinkFriendlyCommittee,
    LinkHostGuidance,
    PostponeElection,
    RegisterHostOrganisation,
)
from services.membership.contract.commands.development import DevelopmentCommand, SubmitApplication
from services.membership.contract.commands.dues import (
    ContinueAfterTransfer,
    DuesAccountCommand,
    PublishDuesScale,
    RemitUpward,
)
from services.membership.contract.commands.meetings import CorrectMeetingDate, RecordMeeting, RecordTraining
from services.membership.contract.commands.members import (
    ApproveRemoval,
    ErasePersonalData,
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
from services.membership.contract.events.branches import OrgKind
from services.membership.domain import meetings, person
from services.membership.handlers.records import organisation, person_of
from services.pure.errors import Forbidden
from services.pure.identity import Actor, Role
from services.pure.scope import Place, require_reach

OrganisationCommand = (
    EstablishBranch | EstablishOrganisation | LinkFriendlyCommittee | ElectCommittee | ElectSecretary
    | ApproveSecretary | PostponeElection | AdvanceElection | RegisterHostOrganisation | LinkHostGuidance
)
MemberCommand = (
    RegisterMember | RegisterOutflow | SuspendMembership | RemoveAsLapsed | ApproveRemoval | RejectRemoval
    | RestoreMembership | RecordDeath | ErasePersonalData
    | RegisterInflow | ReportToHost | IssueActivityCertificate | ReviewCertificate | ReturnCertificate
    | RegisterReturn | RecordContact | ReportToHomeOrganisation
    | RequestTransfer | ApproveTransferOut | ReceiveTransfer | ReturnReceipt | ReissueLetter | ExpireLetter
    | CancelTransfer
    | RecordTraining
)
#: Every command membership serves: the closed union :func:`place_of` matches over.
MembershipCommand = (
    OrganisationCommand | RecordMeeting | CorrectMeetingDate | MemberCommand | DevelopmentCommand
    | DuesAccountCommand | RemitUpward | PublishDuesScale
)
_COMMANDS: tuple[type, ...] = tuple(typing.get_args(MembershipCommand))

#: How far up the tree a township is looked for (county → township → general branch → branch → group, and more).
MAX_DEPTH = 8

#: The county's place: no organisation, no township, nobody — only the county reaches it.
COUNTY = Place()

Store = EventStore[Any]
# A meeting's stream holds only its own events: its evolve is used on the service-wide type at this boundary.
_evolve_meeting = cast(Callable[[meetings.Meeting, Any], meetings.Meeting], meetings.evolve)


async def authorize(store: Store, actor: Actor, command: Any) -> None:
    """``ServiceDefinition.authorize``: refuse (403) a command whose record the actor does not reach."""
    if actor.role is Role.COUNTY_ADMIN:
        return  # the county reaches every place: nothing to load
    if not isinstance(command, _COMMANDS):
        raise Forbidden(f"{actor.label} cannot send {type(command).__name__} here: no scope is defined for it")
    require_reach(actor, await place_of(store, cast(MembershipCommand, command)), _action(command))


async def require_member_reach(store: Store, actor: Actor, member_id: str, action: str) -> None:
    """A read about one person (their personal data) is scoped like a write on their record."""
    if actor.role is Role.COUNTY_ADMIN:
        return
    require_reach(actor, await person_place(store, member_id), action)


async def place_of(store: Store, command: MembershipCommand) -> Place:
    """The place of the record ``command`` touches (or, creating one, of where it is created)."""
    match command:
        # Records being created: placed where they are created.
        case EstablishOrganisation():
            return await org_place(store, command.parent_id) if command.parent_id else COUNTY
        case EstablishBranch():
            return await org_place(store, command.home_org_id, outstation_home=True)
        case RegisterMember():
            return await org_place(store, command.formal_org_id, people=(command.member_id,))
        case RegisterInflow():
            return await org_place(store, command.host_org_id, hosts=(command.host_org_id,),
                                   people=(command.member_id,))
        case SubmitApplication():
            return await org_place(store, command.org_id, people=(command.person_id,))
        case RecordMeeting() | RemitUpward():
            return await org_place(store, command.org_id)
        case CorrectMeetingDate():
            return await org_place(store, await meeting_org(store, command.meeting_id))
        case PublishDuesScale() | RegisterHostOrganisation():
            return COUNTY
        # An organisation's own record.
        case (LinkFriendlyCommittee() | ElectCommittee() | ElectSecretary() | ApproveSecretary()
              | PostponeElection() | AdvanceElection() | LinkHostGuidance()):
            return await org_place(store, command.org_id)
        # The receiving organisation's acts.
        case ReceiveTransfer():
            return await receiving_place(store, command.member_id, None)
        case ContinueAfterTransfer():
            return await receiving_place(store, command.member_id, command.to_org_id)
        # A person's record: their case, their membership, their dues.
        case ReportToHost():
            # Reporting names the host: the host (and the member's own organisation) record it.
            return await person_place(store, command.member_id, extra_hosts=(command.host_org_id,))
        case (RegisterOutflow() | SuspendMembership() | RemoveAsLapsed() | ApproveRemoval() | RejectRemoval()
              | RestoreMembership() | RecordDeath() | ErasePersonalData() | IssueActivityCertificate()
              | ReviewCertificate() | ReturnCertificate() | RegisterReturn() | RecordContact()
              | ReportToHomeOrganisation() | RequestTransfer() | ApproveTransferOut() | ReturnReceipt()
              | ReissueLetter() | ExpireLetter() | CancelTransfer() | RecordTraining()):
            return await person_place(store, command.member_id)
        case (dues.OpenAccount() | dues.DeclareIncome() | dues.AssessMonth() | dues.ApproveReduction()
              | dues.ApproveExemption() | dues.RecordPayment() | dues.RecordValidReason()):
            return await person_place(store, command.member_id)
        case (dev.InterviewApplicant() | dev.DesignateActivist() | dev.AssignCultivationContacts()
              | dev.RecordAssessment() | dev.TransferActivistFile() | dev.DesignateDevelopmentTarget()
              | dev.AssignIntroducers() | dev.CompletePoliticalReview() | dev.RecordTraining() | dev.PreReview()
              | dev.HoldAdmissionVote() | dev.ApproveAdmission() | dev.TakeOath() | dev.ApplyForConversion()
              | dev.HoldConversionVote() | dev.ApproveConversion() | dev.CancelCase()):
            return await case_place(store, command.person_id)
        case _:
            assert_never(command)


async def meeting_org(store: Store, meeting_id: str) -> str | None:
    """The organisation a recorded meeting belongs to (None when no meeting is recorded under the id)."""
    state = state_of(await store.load(meeting_id), _evolve_meeting, meetings.INITIAL, kind="meeting")
    return state.org_id if state.exists else None


async def township_of(store: Store, org_id: str | None, *, outstation_home: bool = False) -> str | None:
    """The township committee ``org_id`` belongs to (itself, if it is one); None when there is none.

    Walks up home organisations (outstation branches) and parents, at most ``MAX_DEPTH`` steps. The home
    organisation of an outstation branch is its township even when that committee is not recorded (as the
    domain establishes it: ``domain/branches.py``); ``outstation_home`` says ``org_id`` is such a home.
    """
    seen: set[str] = set()
    current = org_id
    for _ in range(MAX_DEPTH):
        if not current or current in seen:
            return None
        seen.add(current)
        org = await organisation(store, current)
        if not org.exists:
            return current if outstation_home else None
        if org.kind is OrgKind.TOWNSHIP_COMMITTEE:
            return org.org_id
        outstation_home = bool(org.is_outstation and org.home_org_id)
        current = org.home_org_id or org.parent_id
    return None


async def org_place(store: Store, org_id: str | None, *, outstation_home: bool = False,
                    hosts: tuple[str | None, ...] = (), people: tuple[str, ...] = ()) -> Place:
    """An organisation's place; an outstation branch linked to a host organisation has that host among its
    hosts (dual guidance): the host's scope reaches the branch and its members through the link."""
    guiding = (await organisation(store, org_id)).host_org_id if org_id else None
    return Place.of(org_id or None, await township_of(store, org_id, outstation_home=outstation_home),
                    hosts=(h for h in (*hosts, guiding) if h), people=people)


def _hosts(state: person.Person) -> tuple[str | None, ...]:
    """The host organisations a member reported to (or, from elsewhere, takes part at; or holds a certificate
    at) and the organisation a transfer in progress is taking them to."""
    member = state.member
    return (member.away.host_org_id if member.away else None,
            member.transfer.to_org_id if member.transfer else None)


async def person_place(store: Store, person_id: str, *, extra_hosts: tuple[str, ...] = ()) -> Place:
    """A person's place: their membership's if they are a member, else their development case's."""
    state = await person_of(store, person_id)
    member = state.member
    if not member.exists:
        return await case_place(store, person_id, state)
    hosts = (*_hosts(state), *extra_hosts)
    if member.external_org is not None:
        # From outside the county: they take part here at their host organisation, which answers for them.
        host = member.away.host_org_id if member.away else None
        return await org_place(store, host, hosts=hosts, people=(person_id,))
    return await org_place(store, member.formal_org_id, hosts=hosts, people=(person_id,))


async def case_place(store: Store, person_id: str, state: person.Person | None = None) -> Place:
    """A development case's place: its organisation, and the applicant. No case: the county's, and theirs."""
    state = state if state is not None else await person_of(store, person_id)
    if not state.case.exists:
        return Place.of(None, None, people=(person_id,))
    return await org_place(store, state.case.org_id, people=(person_id,))


async def receiving_place(store: Store, member_id: str, to_org_id: str | None) -> Place:
    """Receiving a member (or their dues) is the receiving organisation's act — only for a transfer to it.

    ``to_org_id`` None: the transfer in progress names it. A receiving organisation the member's record does
    not name (no transfer to it, not received there): the member's own place decides.
    """
    state = await person_of(store, member_id)
    member = state.member
    if not member.exists:
        # Dues continued for a member new to this system: nothing of theirs is recorded here to protect.
        return await org_place(store, to_org_id, people=(member_id,)) if to_org_id else COUNTY
    named = {member.transfer.to_org_id if member.transfer else None,
             member.last_received.to_org_id if member.last_received else None, member.formal_org_id} - {None, ""}
    receiving = to_org_id if to_org_id is not None else (member.transfer.to_org_id if member.transfer else None)
    if receiving and receiving in named:
        return await org_place(store, receiving, hosts=_hosts(state), people=(member_id,))
    return await person_place(store, member_id)


def _action(command: object) -> str:
    """``RegisterOutflow`` → "register outflow" (for the 403's message)."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type(command).__name__).lower()
