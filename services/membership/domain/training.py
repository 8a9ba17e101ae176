"""Training aggregate (one stream per member and year) and the pure yearly 32/56-hour check (B5)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import assert_never

from services.membership.contract.commands.meetings import RecordTraining
from services.membership.contract.events.meetings import TrainingRecorded
from services.membership.domain.branches import Organisation
from services.membership.domain.rules import require_org_scope, training_time
from services.membership.policy.organisation import OrganisationPolicy, organisation_policy_on
from services.pure.errors import DomainError, StateConflict
from services.pure.personal_text import not_personal


@dataclass(frozen=True, kw_only=True)
class Training:
    member_id: str = ""
    year: int | None = None
    record_ids: frozenset[str] = field(default_factory=frozenset)
    total_hours: Decimal = Decimal(0)


INITIAL = Training()

TrainingCommand = RecordTraining
TrainingEvent = TrainingRecorded


def decide(state: Training, command: TrainingCommand, *, member_org_ids: frozenset[str]) -> list[TrainingEvent]:
    """``member_org_ids``: the member's formal organisation and the organisations they take part in
    (e.g. the outstation branch); training is recorded by one of them."""
    match command:
        case RecordTraining():
            return [_record(state, command, member_org_ids)]
        case _:
            assert_never(command)


def evolve(state: Training, event: TrainingEvent) -> Training:
    match event:
        case TrainingRecorded():
            return Training(member_id=event.member_id, year=event.year,
                            record_ids=state.record_ids | {event.record_id},
                            total_hours=state.total_hours + event.hours)
        case _:
            assert_never(event)


def _record(state: Training, cmd: RecordTraining, member_org_ids: frozenset[str]) -> TrainingRecorded:
    require_org_scope(cmd.actor, cmd.org_id, "record training")
    if cmd.org_id not in member_org_ids:
        raise DomainError(f"member {cmd.member_id} does not belong to {cmd.org_id}; record training through "
                          "their own organisation")
    year = cmd.trained_on.year
    if state.year is not None and (state.member_id, state.year) != (cmd.member_id, year):
        raise DomainError(f"this record holds {state.member_id}'s training of {state.year}; "
                          f"use the record of {cmd.member_id} for {year}")
    if cmd.record_id in state.record_ids:
        raise StateConflict(f"training {cmd.record_id} is already recorded for {cmd.member_id}")
    if not cmd.hours.is_finite() or cmd.hours <= 0:
        raise DomainError(f"hours must be a positive number; got {cmd.hours}")
    training_time(cmd.hours)
    if not cmd.course.strip():
        raise DomainError("course must name the training")
    not_personal(cmd.course, "course", instead="the training's name, e.g. \"党员冬训\"")
    if cmd.trained_on > cmd.today:
        raise DomainError(f"trained_on {cmd.trained_on} is in the future; record training once it is done")
    return TrainingRecorded(member_id=cmd.member_id, org_id=cmd.org_id, year=year, record_id=cmd.record_id,
                            course=cmd.course.strip(), hours=cmd.hours, trained_on=cmd.trained_on,
                            actor=cmd.actor.label)


# --- Yearly check (pure report) ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TrainingCheck:
    year: int
    total: Decimal
    required: Decimal
    shortfall: Decimal
    met: bool
    policy_version: str


def yearly_total(records: Iterable[TrainingRecorded], member_id: str, year: int) -> Decimal:
    """Hours one member trained in one calendar year, each record counted once."""
    by_id = {r.record_id: r.hours for r in records if r.member_id == member_id and r.year == year}
    return sum(by_id.values(), Decimal(0))


def leads(org: Organisation, member_id: str) -> bool:
    """Secretaries, deputies and committee members train longer (B5: 56 hours)."""
    return member_id in {org.secretary_id, org.deputy_secretary_id} | {s.member_id for s in org.committee}


def training_check(
    total: Decimal, year: int, *, leader: bool, policy: OrganisationPolicy | None = None
) -> TrainingCheck:
    """B5: members ≥32 hours a year; secretaries and committee members (``leader``) ≥56. ``policy``: the one
    in force at the end of ``year`` unless given."""
    policy = policy or organisation_policy_on(date(year, 12, 31))
    required = policy.training_hours_required(leader)
    return TrainingCheck(year=year, total=total, required=required, shortfall=max(required - total, Decimal(0)),
                         met=total >= required, policy_version=policy.version)
