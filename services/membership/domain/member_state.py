"""The one state of a member's stream: standing, mobility and transfers, and the checks they share.

Registration, standing (members.py), mobility (mobility.py) and transfers (transfers.py) all fold
into this one ``Member``, so "never without a formal organisation and never in two" is guarded by one
stream's version: ``formal_org_id`` is set at registration (or inflow, or admission) and changed only
by ``TransferReceived``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.membership.contract.events.common import Instrument, MemberStatus
from services.membership.contract.events.members import RemovalGround
from services.membership.contract.events.transfers import ExternalOrganisation, TransferChannel
from services.membership.domain.rules import require_org_scope
from services.pure.errors import Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role

#: Standing in which a member takes part in the county's Party life (suspended members do not).
ACTIVE = frozenset({MemberStatus.PROBATIONARY, MemberStatus.FULL})


@dataclass(frozen=True, kw_only=True)
class Away:
    """An outflow (our member gone out) or an inflow (a member from elsewhere at a host here)."""

    left_on: date
    destination: str
    employer: str = ""
    expected_months: int = 0
    fixed_place: bool = False
    instrument_advised: Instrument | None = None
    host_org_id: str | None = None
    reported_to_host_on: date | None = None
    #: The member's formal organisation is outside the county; they take part here at ``host_org_id``.
    inflow: bool = False


@dataclass(frozen=True, kw_only=True)
class Certificate:
    number: str
    issued_on: date
    valid_until: date
    destination: str
    issuing_org_id: str
    transfer_impossible: bool = False
    last_reviewed_on: date | None = None
    #: Issued by the member's home organisation outside the county (inflow): ours to verify, not to inspect.
    foreign: bool = False


@dataclass(frozen=True, kw_only=True)
class Letter:
    number: str
    channel: TransferChannel
    issued_on: date
    valid_until: date
    dues_paid_up_to: str
    issuing_org_id: str
    expired_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class Transfer:
    """A transfer in progress: requested, then a letter issued (and perhaps expired or re-issued)."""

    transfer_id: str
    requested_on: date
    from_org_id: str
    to_org_id: str
    to_external: ExternalOrganisation | None = None
    letter: Letter | None = None
    #: The first letter's issue date: lateness (B3, >6 months not transferred) counts from it.
    first_issued_on: date | None = None
    void_letters: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ReceivedTransfer:
    """The last transfer received, kept for its receipt (回执)."""

    transfer_id: str
    letter_number: str
    from_org_id: str
    to_org_id: str
    received_on: date
    receipt_returned_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class RemovalDecision:
    decided_on: date
    ground: RemovalGround
    deciding_org_id: str


@dataclass(frozen=True, kw_only=True)
class Member:
    exists: bool = False
    member_id: str = ""
    #: Exactly one formal organisation: an organisation here, or ``external_org.org_id`` when outside the county.
    formal_org_id: str = ""
    external_org: ExternalOrganisation | None = None
    status: MemberStatus | None = None
    registered_on: date | None = None
    #: Death is recorded here; ``status`` keeps the last standing (MemberStatus has no DECEASED yet).
    deceased_on: date | None = None
    last_contact_on: date | None = None
    # Standing
    suspended_on: date | None = None
    status_before_suspension: MemberStatus | None = None
    removal_decision: RemovalDecision | None = None
    # Mobility
    away: Away | None = None
    certificate: Certificate | None = None
    certificate_numbers: frozenset[str] = field(default_factory=frozenset)
    last_home_report_on: date | None = None
    # Transfers
    transfer: Transfer | None = None
    last_received: ReceivedTransfer | None = None
    #: Every letter number issued on this stream (a number is never reused) and those already received.
    letter_numbers: frozenset[str] = field(default_factory=frozenset)
    received_letters: frozenset[str] = field(default_factory=frozenset)

    @property
    def away_since(self) -> date | None:
        return self.away.left_on if self.away else None

    @property
    def destination(self) -> str | None:
        return self.away.destination if self.away else None

    @property
    def in_county(self) -> bool:
        """On the county's roster: the formal organisation is one of ours."""
        return self.exists and self.external_org is None

    @property
    def standing(self) -> str:
        """The D1 status, DECEASED included."""
        if self.deceased_on is not None:
            return "deceased"
        return self.status.value if self.status else ""


INITIAL = Member()








def existing(state: Member, member_id: str) -> Member:
    if not state.exists:
        raise NotFound(f"member {member_id} does not exist; register them first")
    if state.deceased_on is not None:
        raise StateConflict(f"member {state.member_id} died on {state.deceased_on}; nothing more is recorded")
    return state


def in_county(state: Member, action: str) -> None:
    if state.external_org is not None:
        raise StateConflict(
            f"member {state.member_id}'s formal organisation is {state.external_org.name}, outside the county; "
            f"it, not this county, must {action}"
        )


def require_standing(state: Member, action: str, *allowed: MemberStatus) -> None:
    if state.status not in allowed:
        shown = state.status.value if state.status else "unknown"
        raise StateConflict(f"a {shown} member cannot {action}")


def committee(actor: Actor, action: str) -> str:
    """Only the township (base) committee or the county may act; returns the acting organisation's id."""
    if actor.role not in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE):
        raise Forbidden(
            f"only the township or county committee may {action}; a {actor.role.value} cannot — "
            "send it to the township committee"
        )
    return actor.org_id or "county"


def self_or_scope(actor: Actor, state: Member, action: str, *org_ids: str | None) -> str:
    """The member themselves, the host organisation scoped to one of ``org_ids``, or staff in scope of one.

    Returns the acting organisation's id (the member's formal organisation when the member acts).
    """
    scopes = [o for o in org_ids if o]
    if actor.role is Role.MEMBER:
        if actor.subject != state.member_id:
            raise Forbidden(f"a member may {action} only for themselves")
        return state.formal_org_id
    if actor.role is Role.HOST_ORGANISATION:
        if actor.org_id in scopes and actor.org_id:
            return actor.org_id
        raise Forbidden(f"the host organisation {actor.org_id} cannot {action} for member {state.member_id}")
    if actor.role is Role.BRANCH_SECRETARY and actor.org_id in scopes and actor.org_id:
        return actor.org_id
    require_org_scope(actor, scopes[0] if scopes else "", action)
    return actor.org_id or "county"

