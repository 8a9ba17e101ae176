"""Secondment aggregate (外出锻炼, A, B7, D1): one stream per secondment, nomination → departure → the end.

The steps live in ``secondment_steps``; this module dispatches commands, folds events, lists what a
secondment owes (check-ins, the term's end) and gives the period the 5 % target counts.
Expenses and income while away are the cadre's own (A): nothing here records county money.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import assert_never

from services.pure.dates import add_months
from services.pure.due import DueItem
from services.pure.text import needed
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
    SecondmentCommand,
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
    ExtensionRefused,
    ExtensionRequested,
    NominationApproved,
    NominationRejected,
    PromotionProposed,
    ReserveCadreListed,
    SecondmentEndedEarly,
    SecondmentEvent,
    SecondmentExtended,
    SecondmentNominated,
    SecondmentStarted,
    UnpaidLeaveGranted,
)
from services.secondment.domain import secondment_steps as steps
from services.secondment.domain import texts
from services.secondment.domain.cadres import Cadre
from services.secondment.domain.secondment_state import INITIAL, PendingRequest, RequestKind, Secondment, Stage
from services.secondment.domain.targets import SecondmentPeriod
from services.secondment.policy import DEFAULT_SECONDMENT_POLICY, SecondmentPolicy

__all__ = ["INITIAL", "Secondment", "Stage", "decide", "due_items", "evolve", "period"]


def decide(
    state: Secondment,
    command: SecondmentCommand,
    *,
    policy: SecondmentPolicy = DEFAULT_SECONDMENT_POLICY,
    cadre: Cadre | None = None,
    open_secondment_id: str | None = None,
    back_from: date | None = None,
) -> list[SecondmentEvent]:
    """Decide one command; facts about other records come in as keywords, read by the handler.

    - ``cadre``: the cadre's current record (nomination: existence and scope; departure: the snapshot);
    - ``open_secondment_id``: another secondment of the cadre not yet ended or rejected, if any (nomination);
    - ``back_from``: the last day away of the cadre's latest earlier secondment, if any (departure).

    ``policy`` is the policy in force on the command's date (``secondment_policy_on``).
    """
    name = type(command).__name__
    texts.bounded(command)
    match command:
        case NominateCadre():
            return [steps.nominate(state, command, needed(cadre, "cadre", name), open_secondment_id)]
        case DecideNomination():
            return [steps.decide_nomination(state, command)]
        case StartSecondment():
            return [steps.start(state, command, needed(cadre, "cadre", name), policy, back_from)]
        case RecordCheckIn():
            return [steps.check_in(state, command, policy)]
        case RecordContribution():
            return steps.contribute(state, command, policy)
        case RequestExtension():
            return [steps.request_extension(state, command, policy)]
        case DecideExtension():
            return [steps.decide_extension(state, command, policy)]
        case RequestEarlyEnd():
            return [steps.request_early_end(state, command)]
        case DecideEarlyEnd():
            return [steps.decide_early_end(state, command)]
        case EndSecondment():
            return [steps.end(state, command, policy)]
        case ProposeCommendation():
            return [steps.propose_commendation(state, command, policy)]
        case ProposePromotion():
            return [steps.propose_promotion(state, command)]
        case ListAsReserveCadre():
            return [steps.list_reserve(state, command)]
        case _:
            assert_never(command)


def evolve(state: Secondment, event: SecondmentEvent) -> Secondment:
    match event:
        case SecondmentNominated():
            return Secondment(
                exists=True, secondment_id=event.secondment_id, cadre_id=event.cadre_id, unit_id=event.unit_id,
                township_id=event.township_id, route=event.route, stage=Stage.NOMINATED, placement=event.placement,
                nominated_on=event.nominated_on,
            )
        case NominationApproved():
            return replace(state, stage=Stage.APPROVED, approved_on=event.approved_on)
        case NominationRejected():
            return replace(state, stage=Stage.REJECTED)
        case SecondmentStarted():
            return replace(
                state, stage=Stage.AWAY, departed_on=event.departed_on, placement=event.placement,
                snapshot=event.snapshot, term_months=event.term_months, planned_end=event.planned_end,
            )
        case CheckInRecorded():
            return replace(state, check_ins=(*state.check_ins, event.checked_in_on))
        case ContributionRecorded():
            capital = event.amount_yuan if event.kind is ContributionKind.CAPITAL and event.amount_yuan else 0
            return replace(state, contributions=(*state.contributions, event),
                           capital_total_yuan=state.capital_total_yuan + capital)
        case ExtensionRequested():
            pending = PendingRequest(kind=RequestKind.EXTENSION, requested_on=event.requested_on, months=event.months)
            return replace(state, pending=pending)
        case SecondmentExtended():
            return replace(state, pending=None, planned_end=event.new_end,
                           extension_months=state.extension_months + event.months)
        case ExtensionRefused() | EarlyEndRefused():
            return replace(state, pending=None)
        case EarlyEndRequested():
            pending = PendingRequest(kind=RequestKind.EARLY_END, requested_on=event.requested_on,
                                     last_day=event.last_day)
            return replace(state, pending=pending)
        case SecondmentEndedEarly():
            return replace(state, pending=None, stage=Stage.ENDED_EARLY, last_day=event.last_day)
        case CadreReturned():
            return replace(state, stage=Stage.RETURNED, last_day=event.last_day)
        case UnpaidLeaveGranted():
            return replace(state, stage=Stage.UNPAID_LEAVE, last_day=event.last_day)
        case CommendationProposed():
            return replace(state, commendation_proposed_on=event.proposed_on)
        case PromotionProposed():
            return replace(state, promotion_proposed_on=event.proposed_on)
        case ReserveCadreListed():
            return replace(state, reserve_listed_on=event.listed_on)
        case _:
            assert_never(event)


def due_items(state: Secondment, on: date, policy: SecondmentPolicy = DEFAULT_SECONDMENT_POLICY) -> list[DueItem]:
    """What an away secondment owes on ``on`` (D4); ``overdue`` when ``on`` is after the due date.

    Kinds: ``check_in_due`` (the policy interval after the last check-in, or the departure) and
    ``term_ends`` (the term's last day: the sending unit records the return or 停薪留职; overdue from
    the anniversary on). Nothing is owed before the departure or after the end.
    """
    if state.stage is not Stage.AWAY or state.departed_on is None or state.planned_end is None:
        return []
    last = state.check_ins[-1] if state.check_ins else state.departed_on
    items = [("check_in_due", add_months(last, policy.check_in_interval_months)), ("term_ends", state.planned_end)]
    return [DueItem(kind=kind, due_on=due_on, subject_id=state.secondment_id, overdue=on > due_on)
            for kind, due_on in items]


def period(state: Secondment) -> SecondmentPeriod | None:
    """The days the cadre is out, for the 5 % target; None before the departure or for a rejected nomination."""
    if state.departed_on is None or state.route is None:
        return None
    return SecondmentPeriod(
        secondment_id=state.secondment_id, cadre_id=state.cadre_id, unit_id=state.unit_id,
        township_id=state.township_id, route=state.route, departed_on=state.departed_on, last_day=state.last_day,
    )
