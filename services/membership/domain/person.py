"""A person's one stream: their development case and, once admitted, their membership.

Admission and conversion change the case and the membership in the same event, on the same
stream, so a person never exists twice and never becomes a member without their case saying so.
Members registered directly (already members when the system started) have no case. Each command
family has its own decider (development, members, standing, mobility, transfers); this module folds
the stream they all append to.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from services.membership.contract.events.development import DevelopmentEvent
from services.membership.contract.events.members import PersonalDataErased
from services.membership.domain import development, members
from services.membership.domain.development_state import DevelopmentCase
from services.membership.policy.development import DevelopmentPolicy
from services.membership.policy.mobility import MobilityPolicy
from services.pure.due import DueItem

_DEVELOPMENT_EVENTS = typing.get_args(DevelopmentEvent)


@dataclass(frozen=True, kw_only=True)
class Person:
    case: DevelopmentCase = field(default_factory=lambda: development.INITIAL)
    member: members.Member = field(default_factory=lambda: members.INITIAL)
    #: The day their personal data was erased (PIPL); nothing personal is recorded for them again.
    erased_on: date | None = None

    @property
    def org_id(self) -> str:
        return self.member.formal_org_id if self.member.exists else self.case.org_id


INITIAL = Person()


def evolve(state: Person, event: Any) -> Person:
    if isinstance(event, PersonalDataErased):
        return replace(state, erased_on=event.erased_on)
    if isinstance(event, _DEVELOPMENT_EVENTS):
        return replace(state, case=development.evolve(state.case, event),
                       member=members.apply_development(state.member, event))
    return replace(state, member=members.evolve(state.member, event))


def due_items(state: Person, on: date, mobility: MobilityPolicy | None = None,
              development_policy: DevelopmentPolicy | None = None) -> list[DueItem]:
    """What the case and the membership owe on ``on``, each by its policy in force that day (the code version
    unless the published one is given)."""
    case = development.due_items(state.case, on, development_policy) if state.case.exists else []
    return case + (members.due_items(state.member, on, mobility) if state.member.exists else [])
