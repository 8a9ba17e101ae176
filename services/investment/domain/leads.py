"""Investment lead aggregate (招商引资, B8, D1, D2): one stream per lead, registered → landed or dropped.

Pipeline: registered → contacted → visit → negotiating → signed → funds_arriving → landed; any
open stage → dropped (with a reason). Rules of movement:

- never backwards, never to the same stage;
- ``AdvanceLead`` moves to contacted, visit, negotiating or signed and may skip forward among them
  (a visit is not always needed; an investor already in talks is registered and signed quickly);
- ``funds_arriving`` is reached only by the first ``RecordFundsArrived``, which needs a signed lead;
- ``landed`` is reached only by ``ConfirmLanded``: the township committee or the county confirms the
  project completed, with its actual fixed investment (the reward base, which need not equal the
  funds recorded); it needs at least one instalment, and no funds are recorded after it.

Every step date is not in the future and not before the previous step. A lead without progress for
``policy.stalled_after_days`` is due as ``lead_stalled`` (``due_items``).

Everything a lead records in words — the investor, the project, its sector and origin, the registrant's name, a
step's note, the funds' reference, a drop's reason — is kept in clear in the event store, on Kafka and in the read
models, so each is refused when it holds anything shaped like a phone, ID, bank card, passport or permit number
(services/pure/personal_text.py): an investor is named, never reached, through this record.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import assert_never

from services.investment.contract.commands import (
    AdvanceLead,
    ClaimReward,
    ConfirmLanded,
    DropLead,
    LeadCommand,
    RecordFundsArrived,
    RegisterLead,
)
from services.investment.contract.events import (
    FundsArrived,
    LeadAdvanced,
    LeadDropped,
    LeadDuplicateRecorded,
    LeadEvent,
    LeadLanded,
    LeadRegistered,
    LeadStage,
    RegistrantKind,
    RewardClaimed,
)
from services.investment.domain import rewards, texts
from services.investment.domain.lead_state import (
    INITIAL,
    OPEN_STAGES,
    PIPELINE,
    Lead,
    existing,
    not_before_last_step,
    not_duplicate,
    require_lead_scope,
    require_scope,
)
from services.investment.domain.matching import match_key, normalise_name
from services.investment.policy import DEFAULT_INVESTMENT_POLICY, InvestmentPolicy
from services.pure.dates import add_months, not_future
from services.pure.due import DueItem
from services.pure.errors import AlreadyExists, DomainError, Forbidden, StateConflict
from services.pure.identity import Role
from services.pure.money import yuan
from services.pure.personal_text import in_words, not_personal
from services.pure.text import require_text

__all__ = ["INITIAL", "PIPELINE", "Lead", "LeadStage", "decide", "due_items", "evolve"]

#: Stages ``AdvanceLead`` may move to.
ADVANCEABLE = frozenset({LeadStage.CONTACTED, LeadStage.VISIT, LeadStage.NEGOTIATING, LeadStage.SIGNED})


def decide(
    state: Lead,
    command: LeadCommand,
    *,
    policy: InvestmentPolicy = DEFAULT_INVESTMENT_POLICY,
    earlier_lead_id: str | None = None,
) -> list[LeadEvent]:
    """Decide one command on a lead.

    - ``earlier_lead_id`` (``RegisterLead`` only): the open lead already registered under the same
      ``match_key(investor, project)``, from the handler's ``LeadIndex``; ``None`` when this is the
      first registration.
    - ``policy``: the policy in force on the completion date for ``ConfirmLanded`` and ``ClaimReward``.
    """
    texts.bounded(command)
    match command:
        case RegisterLead():
            return [register(state, command, earlier_lead_id)]
        case AdvanceLead():
            return [advance(state, command)]
        case RecordFundsArrived():
            return [funds_arrived(state, command)]
        case ConfirmLanded():
            return [landed(state, command, policy)]
        case DropLead():
            return [drop(state, command)]
        case ClaimReward():
            return [rewards.claim(state, command, policy)]
        case _:
            assert_never(command)


def register(state: Lead, c: RegisterLead, earlier_lead_id: str | None) -> LeadRegistered | LeadDuplicateRecorded:
    if state.exists:
        raise AlreadyExists(f"lead {c.lead_id} is already registered; use a new lead id")
    require_lead_scope(c.actor, branch_id=c.branch_id, township_id=c.township_id, registrant_id=c.registrant_id,
                       action="register a lead for this registrant")
    if c.actor.role is Role.MEMBER and c.registrant_kind is RegistrantKind.BRANCH:
        raise Forbidden("a member registers leads under their own name; the branch secretary registers the branch's")
    if c.registrant_kind is RegistrantKind.BRANCH and c.registrant_id != c.branch_id:
        raise DomainError(f"a branch registers under its own id: registrant_id must be {c.branch_id}")
    for value, what in ((c.registrant_id, "registrant_id"), (c.branch_id, "branch_id"),
                        (c.township_id, "township_id")):
        require_text(value, what)
    investor, project = require_text(c.investor, "investor"), require_text(c.project, "project")
    not_personal(investor, "investor", instead="the investor's name, a company's or a person's, without their "
                                               "phone or ID number")
    not_personal(project, "project", instead="the project's name, e.g. \"Qiaotou rooftop solar\"")
    not_personal(c.sector, "sector", instead="the sector, e.g. \"energy\"")
    not_personal(c.origin_locality, "origin_locality", instead="where the investor comes from: city and province")
    not_personal(c.registrant_name, "registrant_name", instead="the registrant's name alone, without a number")
    key = match_key(investor, project)
    if not normalise_name(investor) or not normalise_name(project):
        raise DomainError("investor and project need letters or digits, not only spaces and punctuation")
    self_referral = (c.investor_party_id is not None and c.investor_party_id == c.registrant_id) or (
        normalise_name(c.registrant_name) == normalise_name(investor))
    if self_referral:
        raise DomainError(
            f"an investor cannot refer themselves: {c.registrant_name} is the investor {investor}; "
            "the lead must be registered by someone else"
        )
    not_future(c.registered_on, c.today, "the registration date")
    promised = yuan(c.promised_amount, "the promised amount")
    actor = c.actor.label
    if earlier_lead_id is not None:
        if earlier_lead_id == c.lead_id:
            raise AlreadyExists(f"lead {c.lead_id} is already registered")
        return LeadDuplicateRecorded(
            lead_id=c.lead_id, match_key=key, earlier_lead_id=earlier_lead_id, registrant_kind=c.registrant_kind,
            registrant_id=c.registrant_id, branch_id=c.branch_id, township_id=c.township_id, investor=investor,
            project=project, registered_on=c.registered_on, actor=actor,
        )
    return LeadRegistered(
        lead_id=c.lead_id, match_key=key, registrant_kind=c.registrant_kind, registrant_id=c.registrant_id,
        branch_id=c.branch_id, township_id=c.township_id, investor=investor, project=project,
        sector=require_text(c.sector, "sector"), kind=c.kind,
        promised_amount=promised,
        origin_locality=require_text(c.origin_locality, "origin_locality"), homecoming=c.homecoming,
        registered_on=c.registered_on, actor=actor, registrant_name=c.registrant_name.strip() or None,
    )


def _open(state: Lead, lead_id: str, action: str) -> Lead:
    existing(state, lead_id)
    not_duplicate(state, action)
    if state.stage not in OPEN_STAGES:
        raise StateConflict(f"lead {state.lead_id} is {state.stage.value}; it can no longer {action}")
    return state


def advance(state: Lead, c: AdvanceLead) -> LeadAdvanced:
    _open(state, c.lead_id, "be advanced")
    require_scope(c.actor, state, "advance this lead")
    if c.to_stage not in ADVANCEABLE:
        raise DomainError(
            f"a lead is advanced to contacted, visit, negotiating or signed; {c.to_stage.value} is reached by "
            + ("recording funds arrived" if c.to_stage is LeadStage.FUNDS_ARRIVING
               else "confirming the project landed" if c.to_stage is LeadStage.LANDED
               else "dropping the lead" if c.to_stage is LeadStage.DROPPED else "registration")
        )
    if PIPELINE.index(c.to_stage) <= PIPELINE.index(state.stage):
        raise StateConflict(
            f"lead {state.lead_id} is already {state.stage.value}; it cannot go back or stay at {c.to_stage.value}"
        )
    not_future(c.advanced_on, c.today, "the step date")
    not_before_last_step(state, c.advanced_on, "the step date")
    note = not_personal(c.note.strip(), "note", instead=in_words("what happened at this step"))
    return LeadAdvanced(lead_id=state.lead_id, from_stage=state.stage, to_stage=c.to_stage,
                        advanced_on=c.advanced_on, note=note, actor=c.actor.label)


def funds_arrived(state: Lead, c: RecordFundsArrived) -> FundsArrived:
    _open(state, c.lead_id, "record funds")
    require_scope(c.actor, state, "record funds on this lead")
    if state.stage not in (LeadStage.SIGNED, LeadStage.FUNDS_ARRIVING):
        raise DomainError(f"lead {state.lead_id} is {state.stage.value}; funds are recorded once it is signed")
    amount = yuan(c.amount, "the amount arrived", positive=True)
    reference = not_personal(require_text(c.reference, "the funds reference (voucher number)"), "reference",
                             instead="the voucher or transfer receipt's number, never the payer's card or account")
    if reference in state.references:
        raise StateConflict(f"funds with reference {reference} are already recorded on lead {state.lead_id}")
    not_future(c.arrived_on, c.today, "the arrival date")
    not_before_last_step(state, c.arrived_on, "the arrival date")
    return FundsArrived(
        lead_id=state.lead_id, instalment=state.instalments + 1, amount=amount, arrived_on=c.arrived_on,
        reference=reference, total_arrived=state.total_arrived + amount, registrant_kind=state.registrant_kind,
        registrant_id=state.registrant_id, actor=c.actor.label, township_id=state.township_id,
    )


def landed(state: Lead, c: ConfirmLanded, policy: InvestmentPolicy) -> LeadLanded:
    _open(state, c.lead_id, "land")
    if c.actor.role not in (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE) or (
            c.actor.role is Role.TOWNSHIP_COMMITTEE and c.actor.org_id != state.township_id):
        raise Forbidden(f"only the county or the township committee of {state.township_id} confirms a project landed")
    if state.stage is not LeadStage.FUNDS_ARRIVING:
        raise DomainError(
            f"lead {state.lead_id} is {state.stage.value}; a project lands after it is signed and funds have arrived"
        )
    investment = yuan(c.actual_fixed_investment, "the actual fixed investment", positive=True)
    not_future(c.completed_on, c.today, "the completion date")
    not_before_last_step(state, c.completed_on, "the completion date")
    return LeadLanded(
        lead_id=state.lead_id, completed_on=c.completed_on, actual_fixed_investment=investment,
        total_arrived=state.total_arrived, claim_until=add_months(c.completed_on, policy.claim_window_months),
        registrant_kind=state.registrant_kind, registrant_id=state.registrant_id, branch_id=state.branch_id,
        township_id=state.township_id, actor=c.actor.label, approving_org_id=c.actor.org_id or "county",
        policy_version=policy.version,
    )


def drop(state: Lead, c: DropLead) -> LeadDropped:
    _open(state, c.lead_id, "be dropped")
    require_scope(c.actor, state, "drop this lead")
    reason = not_personal(require_text(c.reason, "the reason for dropping the lead", hint="write a short explanation"),
                          "reason", instead=in_words("why the lead is dropped"))
    not_future(c.dropped_on, c.today, "the drop date")
    not_before_last_step(state, c.dropped_on, "the drop date")
    return LeadDropped(lead_id=state.lead_id, match_key=state.match_key, from_stage=state.stage,
                       dropped_on=c.dropped_on, reason=reason, actor=c.actor.label)


def evolve(state: Lead, event: LeadEvent) -> Lead:
    match event:
        case LeadRegistered():
            on = event.registered_on
            return Lead(
                exists=True, lead_id=event.lead_id, match_key=event.match_key, registrant_kind=event.registrant_kind,
                registrant_id=event.registrant_id, branch_id=event.branch_id, township_id=event.township_id,
                investor=event.investor, project=event.project, homecoming=event.homecoming,
                stage=LeadStage.REGISTERED, registered_on=on, last_progress_on=on,
            )
        case LeadDuplicateRecorded():
            return Lead(
                exists=True, lead_id=event.lead_id, match_key=event.match_key, registrant_kind=event.registrant_kind,
                registrant_id=event.registrant_id, branch_id=event.branch_id, township_id=event.township_id,
                investor=event.investor, project=event.project, stage=LeadStage.DUPLICATE,
                earlier_lead_id=event.earlier_lead_id, registered_on=event.registered_on,
            )
        case LeadAdvanced():
            signed = event.advanced_on if event.to_stage is LeadStage.SIGNED else state.signed_on
            return replace(state, stage=event.to_stage, last_progress_on=event.advanced_on, signed_on=signed)
        case FundsArrived():
            return replace(
                state, stage=LeadStage.FUNDS_ARRIVING, last_progress_on=event.arrived_on,
                instalments=event.instalment, total_arrived=event.total_arrived,
                references=state.references | {event.reference},
            )
        case LeadLanded():
            return replace(
                state, stage=LeadStage.LANDED, last_progress_on=event.completed_on, completed_on=event.completed_on,
                actual_fixed_investment=event.actual_fixed_investment, claim_until=event.claim_until,
            )
        case LeadDropped():
            return replace(state, stage=LeadStage.DROPPED, dropped_on=event.dropped_on)
        case RewardClaimed():
            return replace(state, reward_claimed_on=event.claimed_on, reward_amount=event.amount)
        case _:
            assert_never(event)


def due_items(state: Lead, on: date, policy: InvestmentPolicy = DEFAULT_INVESTMENT_POLICY) -> list[DueItem]:
    """What a lead owes on ``on``.

    - ``lead_stalled``: an open lead whose last step was ``policy.stalled_after_days`` (a homecoming lead:
      ``homecoming_stalled_after_days``, the fast lane) or more days before ``on`` (due on that day; listed
      from it, never "overdue" — it is a flag, and a new step moves it to a later due date, raised afresh if
      that one passes too);
    - ``reward_claim_window_closes``: a landed lead whose reward is unclaimed, due on the last day of
      the claim window, overdue after it.

    Duplicates, dropped leads and claimed rewards owe nothing.
    """
    items: list[DueItem] = []
    if state.stage in OPEN_STAGES and state.last_progress_on is not None:
        stalled_on = state.last_progress_on + timedelta(days=policy.stall_days(state.homecoming))
        if on >= stalled_on:
            items.append(DueItem(kind="lead_stalled", due_on=stalled_on, subject_id=state.lead_id))
    if state.stage is LeadStage.LANDED and state.reward_claimed_on is None and state.claim_until is not None:
        items.append(DueItem(kind="reward_claim_window_closes", due_on=state.claim_until, subject_id=state.lead_id,
                             overdue=on > state.claim_until))
    return items
