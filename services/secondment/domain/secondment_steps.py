"""The steps of a secondment: nomination, approval, departure, tracking, extension, early end, the end, proposals.

Each step checks who acts, the stage and the dates, and returns its event. The sending unit
(``Role.TOWNSHIP_COMMITTEE``, ``org_id`` = the township or unit) leads and records; the county
organisation department (``Role.COUNTY_ADMIN``) approves nominations, extensions, early ends and
reserve-cadre listings.

Every text a step records — the placement's host, locality and role, a check-in's thinking and work, a
contribution's description and source, every reason — is kept in clear in the event store, on Kafka and in the
read models, so each is refused when it holds anything shaped like a phone, ID, bank card, passport or permit
number (services/pure/personal_text.py). A contribution the funds-credit policy records names the lead by its id
and the voucher by the reference investment already checked.
"""

from __future__ import annotations

from datetime import date

from services.pure.dates import add_months, check_date
from services.pure.errors import AlreadyExists, DomainError, NotFound, StateConflict
from services.pure.identity import Actor
from services.pure.personal_text import in_words, not_personal, reason_text
from services.pure.text import require_text
from services.secondment.contract.commands import (
    DecideEarlyEnd,
    DecideExtension,
    DecideNomination,
    EndSecondment,
    ListAsReserveCadre,
    NominateCadre,
    ProposeCommendation,
    ProposePromotion,
    RecordCheckIn,
    RecordContribution,
    RequestEarlyEnd,
    RequestExtension,
    StartSecondment,
)
from services.secondment.contract.events import (
    CadreReturned,
    CheckInRecorded,
    CommendationProposed,
    ContributionKind,
    ContributionRecorded,
    EarlyEndRefused,
    EarlyEndRequested,
    EndOutcome,
    ExtensionRefused,
    ExtensionRequested,
    NominationApproved,
    NominationRejected,
    Placement,
    PromotionProposed,
    ReserveCadreListed,
    SecondmentEndedEarly,
    SecondmentEvent,
    SecondmentExtended,
    SecondmentNominated,
    SecondmentStarted,
    UnpaidLeaveGranted,
)
from services.secondment.domain import commendation
from services.secondment.domain.cadres import Cadre
from services.secondment.domain.common import check_yuan, require_county, require_sending_unit, term_last_day
from services.secondment.domain.secondment_state import (
    STARTED,
    RequestKind,
    Secondment,
    Stage,
    away_since,
    existing,
    require_no_pending,
    require_stage,
)
from services.secondment.policy import SecondmentPolicy


def _scope(state: Secondment, actor: Actor, action: str) -> str:
    return require_sending_unit(actor, state.township_id, state.unit_id, action)



def _placement(placement: Placement) -> None:
    require_text(placement.host_name, "the host enterprise or locality")
    not_personal(placement.host_name, "placement.host_name", instead="the host enterprise's or locality's name")
    not_personal(placement.locality, "placement.locality", instead="the city, county or township of the host")
    not_personal(placement.role_at_host or "", "placement.role_at_host",
                 instead="the cadre's role at the host, e.g. \"副总经理\"")


def nominate(state: Secondment, c: NominateCadre, cadre: Cadre, open_secondment_id: str | None) -> SecondmentNominated:
    if state.exists:
        raise AlreadyExists(f"secondment {c.secondment_id} already exists (cadre {state.cadre_id})")
    if not cadre.exists or cadre.cadre_id != c.cadre_id:
        raise NotFound(f"no cadre {c.cadre_id}; register the cadre with their unit first")
    require_sending_unit(c.actor, cadre.township_id, cadre.unit_id, "nominate a cadre")
    if open_secondment_id is not None:
        raise StateConflict(f"cadre {c.cadre_id} already has secondment {open_secondment_id} open; end it first")
    _placement(c.placement)
    check_date(c.nominated_on, c.today, "the nomination date", not_before=cadre.registered_on,
               earlier="the cadre's registration")
    return SecondmentNominated(
        secondment_id=c.secondment_id, cadre_id=cadre.cadre_id, unit_id=cadre.unit_id,
        township_id=cadre.township_id, route=c.route, placement=c.placement, nominated_on=c.nominated_on,
        actor=c.actor.label,
    )


def decide_nomination(state: Secondment, c: DecideNomination) -> NominationApproved | NominationRejected:
    existing(state, c.secondment_id)
    org = require_county(c.actor, "approve a secondment")
    require_stage(state, "deciding a nomination", Stage.NOMINATED)
    check_date(c.decided_on, c.today, "the decision date", not_before=state.nominated_on, earlier="the nomination")
    if c.approved:
        return NominationApproved(secondment_id=state.secondment_id, approved_on=c.decided_on,
                                  actor=c.actor.label, approving_org_id=org)
    reason_text(c.reason, "the reason for rejecting the nomination")
    return NominationRejected(secondment_id=state.secondment_id, rejected_on=c.decided_on, reason=c.reason,
                              actor=c.actor.label, approving_org_id=org)


def start(state: Secondment, c: StartSecondment, cadre: Cadre, policy: SecondmentPolicy,
          back_from: date | None = None) -> SecondmentStarted:
    """``back_from``: the last day away of the cadre's latest earlier secondment, if any. A cadre is out once at a
    time: a departure on or before it would count the one cadre twice towards the 5 % target on every day between."""
    existing(state, c.secondment_id)
    _scope(state, c.actor, "record a departure")
    require_stage(state, "a departure", Stage.APPROVED)
    if not cadre.exists or cadre.cadre_id != state.cadre_id:
        raise NotFound(f"the cadre passed in must be {state.cadre_id}, the nominated cadre")
    _placement(c.placement)
    check_date(c.departed_on, c.today, "the departure date", not_before=state.approved_on, earlier="the approval")
    if back_from is not None and c.departed_on <= back_from:
        raise DomainError(
            f"cadre {state.cadre_id} was away on an earlier secondment through {back_from}; this departure on "
            f"{c.departed_on} falls inside it — a departure is after {back_from}", field="departed_on")
    return SecondmentStarted(
        secondment_id=state.secondment_id, cadre_id=state.cadre_id, departed_on=c.departed_on, placement=c.placement,
        snapshot=cadre.snapshot(), term_months=policy.term_months,
        planned_end=term_last_day(c.departed_on, policy.term_months), actor=c.actor.label,
        policy_version=policy.version,
    )


def check_in(state: Secondment, c: RecordCheckIn, policy: SecondmentPolicy) -> CheckInRecorded:
    existing(state, c.secondment_id)
    _scope(state, c.actor, "record a check-in")
    require_stage(state, "a check-in", Stage.AWAY)
    if not (c.thinking.strip() or c.work.strip()):
        raise DomainError("a check-in records the cadre's thinking or work; both are empty")
    not_personal(c.thinking, "thinking", instead=in_words("the cadre's thinking"))
    not_personal(c.work, "work", instead=in_words("the work done"))
    last = state.check_ins[-1] if state.check_ins else away_since(state)
    check_date(c.checked_in_on, c.today, "the check-in date", not_before=last, earlier="the last check-in or departure")
    due = add_months(last, policy.check_in_interval_months)
    return CheckInRecorded(
        secondment_id=state.secondment_id, checked_in_on=c.checked_in_on, thinking=c.thinking, work=c.work,
        due_on=due, late=c.checked_in_on > due, actor=c.actor.label, policy_version=policy.version,
    )


def contribute(state: Secondment, c: RecordContribution, policy: SecondmentPolicy) -> list[SecondmentEvent]:
    """Record a contribution; the first time the capital total reaches the threshold a commendation is proposed.

    A contribution id already recorded with the same content records nothing (a redelivered message from
    the investment policy); with different content it is refused."""
    existing(state, c.secondment_id)
    _scope(state, c.actor, "record a contribution")
    require_stage(state, "a contribution", *STARTED)
    event = ContributionRecorded(
        secondment_id=state.secondment_id, contribution_id=c.contribution_id, kind=c.kind,
        description=c.description, amount_yuan=c.amount_yuan, contributed_on=c.contributed_on,
        source_ref=c.source_ref, actor=c.actor.label, people=c.people,
    )
    for earlier in state.contributions:
        if earlier.contribution_id == c.contribution_id:
            if _same(earlier, event):
                return []
            raise AlreadyExists(f"contribution {c.contribution_id} is already recorded with other details; "
                                "use a new contribution id")
    require_text(c.description, "the contribution's description")
    not_personal(c.description, "description", instead=in_words("what the cadre contributed"))
    not_personal(c.source_ref or "", "source_ref",
                 instead="the contract, voucher or record the contribution rests on, by its reference number")
    if c.amount_yuan is not None:
        check_yuan(c.amount_yuan, "the amount")
    elif c.kind is ContributionKind.CAPITAL:
        raise DomainError("a capital contribution needs amount_yuan (the yuan arrived in the county)")
    if c.people is not None:
        if c.kind is not ContributionKind.TALENT:
            raise DomainError(f"people counts the people a talent contribution introduced; a {c.kind.value} "
                              "contribution has none", field="people")
        if not 1 <= c.people <= MAX_PEOPLE:
            raise DomainError(f"people must be 1 to {MAX_PEOPLE}; got {c.people}", field="people")
    check_date(c.contributed_on, c.today, "the contribution date", not_before=away_since(state),
               earlier="the departure")
    events: list[SecondmentEvent] = [event]
    if state.commendation_proposed_on is None:
        # The first contribution with which a counted kind reaches its threshold proposes the commendation.
        proposed = commendation.proposal(state, (*state.contributions, event), policy, proposed_on=c.contributed_on,
                                         reason=None, actor=c.actor.label)
        if proposed is not None:
            events.append(proposed)
    return events


#: The most people one talent contribution may record: a bound on typos, not a rule of the decision.
MAX_PEOPLE = 10_000


def _same(a: ContributionRecorded, b: ContributionRecorded) -> bool:
    return (a.kind, a.description, a.amount_yuan, a.contributed_on, a.source_ref, a.people) == (
        b.kind, b.description, b.amount_yuan, b.contributed_on, b.source_ref, b.people)


def request_extension(state: Secondment, c: RequestExtension, policy: SecondmentPolicy) -> ExtensionRequested:
    existing(state, c.secondment_id)
    _scope(state, c.actor, "request an extension")
    require_stage(state, "an extension", Stage.AWAY)
    require_no_pending(state, "request an extension")
    reason_text(c.reason, "the reason for the extension")
    _check_extension(state, c.months, policy)
    check_date(c.requested_on, c.today, "the request date", not_before=away_since(state), earlier="the departure")
    if state.planned_end is not None and c.requested_on > state.planned_end:
        raise DomainError(f"the term ended on {state.planned_end}; an extension is requested before the term ends "
                          "— end the secondment instead")
    return ExtensionRequested(secondment_id=state.secondment_id, months=c.months, requested_on=c.requested_on,
                              reason=c.reason, actor=c.actor.label)


def _check_extension(state: Secondment, months: int, policy: SecondmentPolicy) -> None:
    if months < 1:
        raise DomainError(f"an extension is at least 1 month; got {months}")
    if state.extension_months + months > policy.max_extension_months:
        raise DomainError(
            f"extensions total at most {policy.max_extension_months} months (policy {policy.version}); "
            f"{state.extension_months} already granted, {months} more is too many"
        )


def decide_extension(
    state: Secondment, c: DecideExtension, policy: SecondmentPolicy
) -> SecondmentExtended | ExtensionRefused:
    existing(state, c.secondment_id)
    org = require_county(c.actor, "approve an extension")
    pending = state.pending
    if pending is None or pending.kind is not RequestKind.EXTENSION:
        raise StateConflict(f"no extension of {state.secondment_id} awaits a decision; the sending unit requests it")
    check_date(c.decided_on, c.today, "the decision date", not_before=pending.requested_on, earlier="the request")
    if not c.approved:
        reason_text(c.reason, "the reason for refusing the extension")
        return ExtensionRefused(secondment_id=state.secondment_id, months=pending.months, refused_on=c.decided_on,
                                reason=c.reason, actor=c.actor.label, approving_org_id=org)
    _check_extension(state, pending.months, policy)
    departed, previous = away_since(state), state.planned_end
    assert previous is not None
    new_end = term_last_day(departed, state.term_months + state.extension_months + pending.months)
    return SecondmentExtended(
        secondment_id=state.secondment_id, months=pending.months, previous_end=previous, new_end=new_end,
        approved_on=c.decided_on, actor=c.actor.label, approving_org_id=org, policy_version=policy.version,
    )


def request_early_end(state: Secondment, c: RequestEarlyEnd) -> EarlyEndRequested:
    existing(state, c.secondment_id)
    _scope(state, c.actor, "request an early end")
    require_stage(state, "an early end", Stage.AWAY)
    require_no_pending(state, "request an early end")
    reason_text(c.reason, "the reason for the early end")
    departed = away_since(state)
    check_date(c.requested_on, c.today, "the request date", not_before=departed, earlier="the departure")
    if c.last_day < departed:
        raise DomainError(f"the last day {c.last_day} is before the departure on {departed}")
    if state.planned_end is not None and c.last_day >= state.planned_end:
        raise DomainError(f"the term runs until {state.planned_end}; a last day on or after it is not an early end "
                          "— end the secondment at term instead")
    return EarlyEndRequested(secondment_id=state.secondment_id, last_day=c.last_day, requested_on=c.requested_on,
                             reason=c.reason, actor=c.actor.label)


def decide_early_end(state: Secondment, c: DecideEarlyEnd) -> SecondmentEndedEarly | EarlyEndRefused:
    existing(state, c.secondment_id)
    org = require_county(c.actor, "approve an early end")
    pending = state.pending
    if pending is None or pending.kind is not RequestKind.EARLY_END or pending.last_day is None:
        raise StateConflict(f"no early end of {state.secondment_id} awaits a decision; the sending unit requests it")
    check_date(c.decided_on, c.today, "the decision date", not_before=pending.requested_on, earlier="the request")
    if not c.approved:
        reason_text(c.reason, "the reason for refusing the early end")
        return EarlyEndRefused(secondment_id=state.secondment_id, last_day=pending.last_day, refused_on=c.decided_on,
                               reason=c.reason, actor=c.actor.label, approving_org_id=org)
    assert state.snapshot is not None and state.planned_end is not None
    return SecondmentEndedEarly(
        secondment_id=state.secondment_id, cadre_id=state.cadre_id, last_day=pending.last_day,
        planned_end=state.planned_end, returned_to=state.snapshot, approved_on=c.decided_on, actor=c.actor.label,
        approving_org_id=org,
    )


def end(state: Secondment, c: EndSecondment, policy: SecondmentPolicy) -> CadreReturned | UnpaidLeaveGranted:
    existing(state, c.secondment_id)
    org = _scope(state, c.actor, "end a secondment")
    require_stage(state, "the end of a secondment", Stage.AWAY)
    require_no_pending(state, "end the secondment")
    check_date(c.decided_on, c.today, "the decision date", not_before=away_since(state), earlier="the departure")
    planned, snapshot = state.planned_end, state.snapshot
    assert planned is not None and snapshot is not None
    if c.last_day < planned:
        raise DomainError(
            f"the term runs until {planned}; ending on {c.last_day} is an early end — request it (RequestEarlyEnd) "
            "and have the county approve it"
        )
    if c.last_day > max(planned, c.decided_on):
        # A return later than the term is a fact recorded once it happened; named ahead, it would keep the cadre
        # out (and counted towards the 5 % target) for as long as the sender likes, with no approval.
        raise DomainError(
            f"the term runs until {planned}; a last day after it ({c.last_day}) is recorded once it has passed, on "
            f"or after that day — to keep the cadre out longer, request an extension for the county to approve",
            field="last_day")
    if c.outcome is EndOutcome.RETURN_TO_POST:
        return CadreReturned(
            secondment_id=state.secondment_id, cadre_id=state.cadre_id, last_day=c.last_day, planned_end=planned,
            returned_to=snapshot, decided_on=c.decided_on, actor=c.actor.label, deciding_org_id=org,
        )
    if not policy.unpaid_leave_allowed:
        raise DomainError(
            f"停薪留职 (unpaid leave with the job kept) is switched off in policy {policy.version}: no current "
            "national basis for it was found for civil servants — the county must confirm its legal basis and "
            "switch it on; until then the cadre returns to the original post"
        )
    return UnpaidLeaveGranted(
        secondment_id=state.secondment_id, cadre_id=state.cadre_id, last_day=c.last_day, planned_end=planned,
        post_kept=snapshot, decided_on=c.decided_on, actor=c.actor.label, deciding_org_id=org,
        policy_version=policy.version,
    )


def propose_commendation(state: Secondment, c: ProposeCommendation, policy: SecondmentPolicy) -> CommendationProposed:
    existing(state, c.secondment_id)
    _scope(state, c.actor, "propose a commendation")
    require_stage(state, "a commendation proposal", *STARTED)
    if state.commendation_proposed_on is not None:
        raise StateConflict(f"a commendation of {state.secondment_id} was proposed on {state.commendation_proposed_on}")
    reason_text(c.reason, "the reason for the commendation")
    check_date(c.proposed_on, c.today, "the proposal date", not_before=away_since(state), earlier="the departure")
    proposed = commendation.proposal(state, state.contributions, policy, proposed_on=c.proposed_on,
                                     reason=c.reason.strip(), actor=c.actor.label)
    if proposed is None:
        raise DomainError(commendation.not_yet(state, policy))
    return proposed


def propose_promotion(state: Secondment, c: ProposePromotion) -> PromotionProposed:
    existing(state, c.secondment_id)
    org = _scope(state, c.actor, "propose a promotion")
    require_stage(state, "a promotion proposal", *STARTED)
    if state.promotion_proposed_on is not None:
        raise StateConflict(f"a promotion of {state.cadre_id} was proposed on {state.promotion_proposed_on}")
    reason_text(c.reason, "the reason for the promotion (what was outstanding)")
    check_date(c.proposed_on, c.today, "the proposal date", not_before=away_since(state), earlier="the departure")
    return PromotionProposed(secondment_id=state.secondment_id, cadre_id=state.cadre_id, proposed_on=c.proposed_on,
                             reason=c.reason, actor=c.actor.label, proposing_org_id=org)


def list_reserve(state: Secondment, c: ListAsReserveCadre) -> ReserveCadreListed:
    existing(state, c.secondment_id)
    org = require_county(c.actor, "list a reserve cadre")
    require_stage(state, "a reserve-cadre listing", *STARTED)
    if state.reserve_listed_on is not None:
        raise StateConflict(f"cadre {state.cadre_id} was listed as a reserve cadre on {state.reserve_listed_on}")
    reason_text(c.reason, "the reason for the listing")
    check_date(c.listed_on, c.today, "the listing date", not_before=away_since(state), earlier="the departure")
    return ReserveCadreListed(secondment_id=state.secondment_id, cadre_id=state.cadre_id, listed_on=c.listed_on,
                              reason=c.reason, actor=c.actor.label, approving_org_id=org)
