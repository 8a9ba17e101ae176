"""A person's one stream: their development case and, once admitted, their membership.

Admission and conversion change the case and the membership in the same event, on the same
stream, so a person never exists twice and never becomes a member without their case saying so.
Members registered directly (already members when the system started) have no case.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from services.membership.contract.commands import RegisterMember
from services.membership.contract.commands.development import DevelopmentCommand
from services.membership.contract.events.development import (
    DevelopmentEvent,
)
from services.membership.domain import development, members
from services.membership.domain.development_state import DevelopmentCase
from services.pure.due import DueItem
from services.pure.errors import StateConflict

_DEVELOPMENT_COMMANDS = typing.get_args(DevelopmentCommand)
_DEVELOPMENT_EVENTS = typing.get_args(DevelopmentEvent)


@dataclass(frozen=True, kw_only=True)
class Person:
    case: DevelopmentCase = field(default_factory=lambda: development.INITIAL)
    member: members.Member = field(default_factory=lambda: members.INITIAL)

    @property
    def org_id(self) -> str:
        return self.member.formal_org_id if self.member.exists else self.case.org_id


INITIAL = Person()


def is_development(command: object) -> bool:
    return isinstance(command, _DEVELOPMENT_COMMANDS)


def decide(state: Person, command: Any, **context: Any) -> list[Any]:
    if is_development(command):
        return list(development.decide(state.case, command, **context))
    if isinstance(command, RegisterMember) and state.case.exists:
        raise StateConflict("this person has a development case; they become a member through it")
    return list(members.decide(state.member, command, **context))


def evolve(state: Person, event: Any) -> Person:
    if isinstance(event, _DEVELOPMENT_EVENTS):
        return Person(case=development.evolve(state.case, event), member=members.apply_development(state.member, event))
    return replace(state, member=members.evolve(state.member, event))


def due_items(state: Person, on: date) -> list[DueItem]:
    case = development.due_items(state.case, on) if state.case.exists else []
    return case + (members.due_items(state.member, on) if state.member.exists else [])
