"""Election rules of the Organisation aggregate: committee or secretary by size, higher approval, terms (B1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from services.membership.contract.commands.branches import (
    AdvanceElection,
    ApproveSecretary,
    ElectCommittee,
    ElectSecretary,
    PostponeElection,
)
from services.membership.contract.events.branches import (
    CommitteeDuty,
    CommitteeElected,
    CommitteeSeat,
    ElectionAdvanced,
    ElectionPostponed,
    OrgKind,
    SecretaryApproved,
    SecretaryElected,
)
from services.membership.domain.rules import require_org_scope, require_roles
from services.membership.policy.organisation import OrganisationPolicy
from services.pure.dates import add_months
from services.pure.errors import DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from services.pure.personal_text import in_words, not_personal

if TYPE_CHECKING:
    from services.membership.domain.branches import Organisation

#: Kinds that elect a committee or a secretary here; committees above them elect theirs at congresses.
ELECTING_KINDS = frozenset({OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.TEMPORARY_BRANCH})
_PORTFOLIOS = (CommitteeDuty.ORGANISATION, CommitteeDuty.PROPAGANDA, CommitteeDuty.DISCIPLINE)


def elect_committee(
    state: Organisation, cmd: ElectCommittee, full_member_ids: frozenset[str], members: int | None,
    policy: OrganisationPolicy, seconded_homes: Mapping[str, str] | None = None,
) -> CommitteeElected:
    """``seconded_homes``: for each seat asked for as a seconded cadre's, the organisation where that member is a
    full member on the election day (their home, where the relationship stays); absent: not a full member."""
    _require_electing(state, cmd.org_id, cmd.actor, cmd.elected_on, cmd.today)
    full = len(full_member_ids)
    if full < policy.committee_min_full_members:
        raise DomainError(
            f"a committee needs at least {policy.committee_min_full_members} full members; this organisation "
            f"has {full} — elect a secretary (and a deputy if needed) with ElectSecretary"
        )
    seats = cmd.seats
    if len(seats) < policy.committee_min_seats:
        raise DomainError(f"a committee has at least {policy.committee_min_seats} seats; {len(seats)} were given")
    if len(seats) > policy.committee_max_seats:
        raise DomainError(
            f"a committee has at most {policy.committee_max_seats} seats (usually "
            f"{policy.committee_min_seats}–{policy.committee_usual_max_seats}); {len(seats)} were given"
        )
    ordinary = [s for s in seats if not s.seconded_cadre]
    _require_distinct([s.member_id for s in seats])
    _require_full_members([s.member_id for s in ordinary], full_member_ids, cmd.org_id)
    for seat in ordinary:
        if seat.cadre_id or seat.secondment_id:
            raise DomainError(f"seat {seat.member_id.strip()} names a cadre or secondment but is not marked "
                              "seconded_cadre: mark it, or leave them out")
    seats = tuple(s if not s.seconded_cadre else _seconded_seat(s, state.org_id, full_member_ids,
                                                                  seconded_homes or {}) for s in seats)
    secretary, deputy = _check_duties(seats, policy)
    warnings = list(_size_warnings(members if members is not None else full, policy))
    if len(seats) > policy.committee_usual_max_seats:
        warnings.insert(0, f"{len(seats)} seats is above the usual {policy.committee_min_seats}–"
                           f"{policy.committee_usual_max_seats}")
    due = add_months(cmd.elected_on, 12 * policy.term_years_for(state.village_or_community))
    return CommitteeElected(
        org_id=state.org_id, elected_on=cmd.elected_on,
        seats=tuple(s if s.seconded_cadre else replace_duties(s) for s in seats), secretary_id=secretary,
        deputy_secretary_id=deputy,
        full_members=full, term_started_on=cmd.elected_on, term_due_on=due, actor=cmd.actor.label,
        policy_version=policy.version, warnings=tuple(warnings),
    )


def elect_secretary(
    state: Organisation, cmd: ElectSecretary, full_member_ids: frozenset[str], members: int | None,
    policy: OrganisationPolicy,
) -> SecretaryElected:
    _require_electing(state, cmd.org_id, cmd.actor, cmd.elected_on, cmd.today)
    full = len(full_member_ids)
    if full >= policy.committee_min_full_members:
        raise DomainError(
            f"an organisation of {policy.committee_min_full_members} or more full members elects a committee "
            f"(it has {full}): use ElectCommittee"
        )
    if state.kind is not OrgKind.TEMPORARY_BRANCH and full < policy.branch_min_full_members:
        raise DomainError(
            f"a branch needs at least {policy.branch_min_full_members} full members to elect a secretary "
            f"(it has {full}); with fewer, join with other units in a joint branch"
        )
    ids = [cmd.secretary_id] + ([cmd.deputy_secretary_id] if cmd.deputy_secretary_id is not None else [])
    _require_full_members(ids, full_member_ids, cmd.org_id)
    due = add_months(cmd.elected_on, 12 * policy.term_years_for(state.village_or_community))
    return SecretaryElected(
        org_id=state.org_id, elected_on=cmd.elected_on, secretary_id=cmd.secretary_id.strip(),
        deputy_secretary_id=cmd.deputy_secretary_id.strip() if cmd.deputy_secretary_id else None,
        secretary_entrepreneur=cmd.secretary_entrepreneur,
        deputy_entrepreneur=cmd.deputy_entrepreneur and cmd.deputy_secretary_id is not None,
        full_members=full, term_started_on=cmd.elected_on, term_due_on=due, actor=cmd.actor.label,
        policy_version=policy.version, warnings=tuple(_size_warnings(members if members is not None else full,
                                                                     policy)),
    )


def approve_secretary(state: Organisation, cmd: ApproveSecretary) -> SecretaryApproved:
    _require_higher_organisation(state, cmd.org_id, cmd.actor, cmd.approving_org_id, "approve its secretary")
    if state.secretary_id is None or state.elected_on is None:
        raise StateConflict(f"{state.org_id} has not elected a secretary yet; record the election first")
    if cmd.secretary_id != state.secretary_id:
        raise StateConflict(
            f"the elected secretary of {state.org_id} is {state.secretary_id}, not {cmd.secretary_id}"
        )
    if state.secretary_approved:
        raise StateConflict(f"secretary {state.secretary_id} of {state.org_id} is already approved")
    _require_date_between(cmd.approved_on, state.elected_on, cmd.today, "approved_on", "the election")
    return SecretaryApproved(
        org_id=state.org_id, secretary_id=state.secretary_id, approved_on=cmd.approved_on,
        approving_org_id=cmd.approving_org_id, actor=cmd.actor.label,
    )


def move_election(
    state: Organisation, cmd: PostponeElection | AdvanceElection, policy: OrganisationPolicy
) -> ElectionPostponed | ElectionAdvanced:
    _require_higher_organisation(state, cmd.org_id, cmd.actor, cmd.approving_org_id, "move its election")
    if state.regular_due_on is None or state.due_on is None or state.elected_on is None:
        raise StateConflict(f"{state.org_id} has no running term; record an election first")
    if not cmd.reason.strip():
        raise DomainError("reason must say why the election moves")
    not_personal(cmd.reason, "reason", instead=in_words("why the election moves"))
    _require_date_between(cmd.approved_on, state.elected_on, cmd.today, "approved_on", "the last election")
    shift = policy.max_election_shift_months
    regular = state.regular_due_on
    event_type: type[ElectionPostponed] | type[ElectionAdvanced]
    if isinstance(cmd, PostponeElection):
        latest = add_months(regular, shift)
        if cmd.new_due_on <= state.due_on:
            raise DomainError(f"a postponement moves the election after {state.due_on}; to bring it forward use "
                              "AdvanceElection")
        if cmd.new_due_on > latest:
            raise DomainError(f"an election is postponed by at most {shift} months after its regular due date "
                              f"{regular}: the latest is {latest}")
        event_type = ElectionPostponed
    else:
        earliest = add_months(regular, -shift)
        if cmd.new_due_on >= state.due_on:
            raise DomainError(f"an advance moves the election before {state.due_on}; to delay it use "
                              "PostponeElection")
        if cmd.new_due_on < earliest:
            raise DomainError(f"an election is advanced by at most {shift} months before its regular due date "
                              f"{regular}: the earliest is {earliest}")
        event_type = ElectionAdvanced
    return event_type(
        org_id=state.org_id, regular_due_on=regular, previous_due_on=state.due_on, new_due_on=cmd.new_due_on,
        approved_on=cmd.approved_on, approving_org_id=cmd.approving_org_id, reason=cmd.reason.strip(),
        actor=cmd.actor.label, policy_version=policy.version,
    )


def replace_duties(seat: CommitteeSeat) -> CommitteeSeat:
    """The seat with its member id trimmed and its duties deduplicated, in a stable order."""
    duties = tuple(d for d in CommitteeDuty if d in seat.duties)
    return CommitteeSeat(member_id=seat.member_id.strip(), duties=duties, entrepreneur=seat.entrepreneur)


def _require_electing(state: Organisation, org_id: str, actor: Actor, elected_on: date, today: date) -> None:
    if not state.exists:
        raise NotFound(f"organisation {org_id} does not exist")
    require_org_scope(actor, state.org_id, "record elections")
    if state.kind not in ELECTING_KINDS:
        kind = state.kind.value if state.kind else "unknown"
        raise DomainError(f"a {kind} does not elect a branch committee or secretary here")
    _require_date_between(elected_on, state.established_on, today, "elected_on", "the organisation was established")
    if state.due_on is not None and elected_on < state.due_on:
        raise StateConflict(
            f"the current term runs until {state.due_on}; an earlier election needs an approved advance "
            "(AdvanceElection) first"
        )


def _require_higher_organisation(
    state: Organisation, org_id: str, actor: Actor, approving_org_id: str, action: str
) -> None:
    """B1: the higher organisation approves; a township committee only for organisations it manages."""
    if not state.exists:
        raise NotFound(f"organisation {org_id} does not exist")
    require_roles(actor, action, Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
    if actor.role is Role.TOWNSHIP_COMMITTEE:
        higher = state.higher_org_id
        if actor.org_id != approving_org_id:
            raise Forbidden(f"a township committee approves in its own name: set approving_org_id to {actor.org_id}")
        if approving_org_id != higher:
            raise Forbidden(f"only the higher organisation {higher} may {action} for {state.org_id}")


def _seconded_seat(
    seat: CommitteeSeat, org_id: str, full_member_ids: frozenset[str], homes: Mapping[str, str]
) -> CommitteeSeat:
    """A seconded cadre's seat: a full member of another organisation, their relationship staying there.

    The evidence that they are out on secondment placed at this branch (the cadre and the secondment) is
    checked by the gateway against the secondment records, which membership cannot read; without it the
    seat is refused here too, never taken on trust."""
    member_id = seat.member_id.strip()
    cadre, secondment = (seat.cadre_id or "").strip(), (seat.secondment_id or "").strip()
    if not cadre or not secondment:
        raise StateConflict(f"seat {member_id} is asked for as a seconded cadre's but names no cadre and secondment "
                            "in progress at this branch: link the cadre to the member and start a secondment placed "
                            "here first")
    if member_id in full_member_ids:
        raise DomainError(f"{member_id} is a full member of {org_id}: elect them to an ordinary seat")
    home = homes.get(member_id)
    if not home:
        raise DomainError(f"a seconded cadre's seat needs a full member of their home organisation; {member_id} "
                          "is not a full member anywhere on the election day")
    return replace(replace_duties(seat), seconded_cadre=True, cadre_id=cadre, secondment_id=secondment,
                   home_org_id=home)


def _require_distinct(ids: Sequence[str]) -> None:
    cleaned = [i.strip() for i in ids]
    if any(not i for i in cleaned):
        raise DomainError("every candidate needs a member id")
    if len(set(cleaned)) != len(cleaned):
        raise DomainError("a member holds one seat: candidates must be distinct")


def _require_full_members(ids: Sequence[str], full_member_ids: frozenset[str], org_id: str) -> None:
    _require_distinct(ids)
    cleaned = [i.strip() for i in ids]
    outside = sorted(set(cleaned) - full_member_ids)
    if outside:
        raise DomainError(
            f"only full members of {org_id} can be elected; not full members: {', '.join(outside)} "
            "(a non-member entrepreneur is cultivated for admission first; a cadre seconded here from another "
            "organisation sits in a seat marked seconded_cadre)"
        )


def _check_duties(seats: Sequence[CommitteeSeat], policy: OrganisationPolicy) -> tuple[str, str | None]:
    """One secretary, at most one deputy (not the secretary), and each portfolio held by exactly one seat."""
    def holders(duty: CommitteeDuty) -> list[str]:
        return [s.member_id.strip() for s in seats if duty in s.duties]

    secretaries = holders(CommitteeDuty.SECRETARY)
    if len(secretaries) != 1:
        raise DomainError(f"a committee has exactly one secretary; {len(secretaries)} seats hold that duty")
    deputies = holders(CommitteeDuty.DEPUTY_SECRETARY)
    if len(deputies) > policy.max_deputy_secretaries:
        raise DomainError(f"a committee has at most {policy.max_deputy_secretaries} deputy secretary")
    if deputies and deputies[0] == secretaries[0]:
        raise DomainError("the secretary cannot also be the deputy secretary")
    for duty in _PORTFOLIOS:
        count = len(holders(duty))
        if count != 1:
            raise DomainError(f"the {duty.value} portfolio is held by exactly one seat; {count} hold it")
    return secretaries[0], (deputies[0] if deputies else None)


def _size_warnings(members: int, policy: OrganisationPolicy) -> list[str]:
    if members > policy.branch_warn_members_above:
        return [f"{members} members: a branch generally has at most {policy.branch_warn_members_above}; "
                "consider splitting it"]
    return []


def _require_date_between(day: date, earliest: date | None, today: date, name: str, what: str) -> None:
    if day > today:
        raise DomainError(f"{name} {day} is in the future; use a date up to {today}")
    if earliest is not None and day < earliest:
        raise DomainError(f"{name} {day} is before {what} ({earliest})")
