"""The partner aggregate: one stream per partner system, registered, changed, deactivated, reactivated and given
a new Kafka password by the county.

A partner's name and contact are kept in clear in its events, on gb.partners.events and in partners_view, so
neither (nor the reason the county gives for a deactivation) may hold anything shaped like a phone or ID number
(services/pure/personal_text.py): the contact names an office or a role at the partner (劳动保障局就业科), never a
person's number — the county's own records say how to reach that office.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import assert_never

from services.partners.contract.commands import (
    ChangePartner,
    DeactivatePartner,
    PartnerCommand,
    ReactivatePartner,
    RegisterPartner,
    RotatePartnerCredential,
)
from services.partners.contract.events import (
    PartnerChanged,
    PartnerCredentialRotated,
    PartnerDeactivated,
    PartnerEvent,
    PartnerReactivated,
    PartnerRegistered,
    PartnerScope,
)
from services.partners.contract.outward.catalogue import CATALOGUE
from services.partners.contract.values import PartnerKind, PersonalDataPolicy
from services.pure.errors import AlreadyExists, DomainError, NotFound, StateConflict
from services.pure.personal_text import not_personal

#: Becomes a Kafka topic and principal name: nothing a topic or a SCRAM user name would refuse.
PARTNER_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
UUID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ORG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, kw_only=True)
class Partner:
    partner_id: str
    name: str
    kind: PartnerKind
    contact: str
    scope: PartnerScope
    personal_data: PersonalDataPolicy
    #: False from its deactivation to its reactivation: nothing is sent to its webhooks, it has no Kafka login and
    #: no ACL, and its subscriptions cannot be created, changed, resumed or replayed.
    active: bool = True
    #: When each deactivation began and ended (the last one open while it lasts): no event recorded within one is
    #: ever routed to the partner (services/partners/domain/routing.py).
    deactivations: tuple[tuple[datetime, datetime | None], ...] = ()
    #: The scope and personal-data policy it had before each change of them, with when the change was recorded
    #: (oldest first): an event is routed by the terms in force when it was recorded (``terms_at``), so a router
    #: that is behind, or sends an event again, decides as it would have then — the same bytes under the same id.
    earlier_terms: tuple[tuple[datetime, PartnerScope, PersonalDataPolicy], ...] = ()
    #: Which Kafka password is its own (services/partners/secret.py): 0 from its registration, one more at each
    #: rotation and each reactivation, so an earlier password never opens it again.
    credential_generation: int = 0


INITIAL: Partner | None = None


def decide(state: Partner | None, cmd: PartnerCommand, *, now: datetime) -> list[PartnerEvent]:
    match cmd:
        case RegisterPartner():
            _check_record(cmd)
            if state is not None:
                raise AlreadyExists(f"partner {cmd.partner_id} is already registered")
            if not PARTNER_ID.fullmatch(cmd.partner_id) or UUID_SHAPE.fullmatch(cmd.partner_id):
                raise DomainError("partner_id: lower-case letters, digits and hyphens, at most 40, starting with a "
                                  "letter or digit, not a UUID (it names the partner's Kafka topic)")
            return [PartnerRegistered(partner_id=cmd.partner_id, name=cmd.name.strip(), kind=cmd.kind,
                                      contact=cmd.contact.strip(), scope=cmd.scope, personal_data=cmd.personal_data,
                                      registered_at=now, actor=cmd.actor.label)]
        case ChangePartner():
            _check_record(cmd)
            _existing(state, cmd.partner_id)
            return [PartnerChanged(partner_id=cmd.partner_id, name=cmd.name.strip(), contact=cmd.contact.strip(),
                                   scope=cmd.scope, personal_data=cmd.personal_data, changed_at=now,
                                   actor=cmd.actor.label)]
        case DeactivatePartner():
            if not _existing(state, cmd.partner_id).active:
                raise StateConflict(f"partner {cmd.partner_id} is already deactivated")
            reason = cmd.reason.strip()
            _check_text("reason", reason, 500)
            not_personal(reason, "reason", instead="why, in the county's words, e.g. \"协议到期\" — no phone or "
                         "ID number")
            return [PartnerDeactivated(partner_id=cmd.partner_id, reason=reason, deactivated_at=now,
                                       actor=cmd.actor.label)]
        case ReactivatePartner():
            partner = _existing(state, cmd.partner_id)
            if partner.active:
                raise StateConflict(f"partner {cmd.partner_id} is active; only a deactivated partner is reactivated")
            return [PartnerReactivated(partner_id=cmd.partner_id,
                                       credential_generation=partner.credential_generation + 1, reactivated_at=now,
                                       actor=cmd.actor.label)]
        case RotatePartnerCredential():
            partner = _existing(state, cmd.partner_id)
            if not partner.active:
                raise StateConflict(f"partner {cmd.partner_id} is deactivated and has no Kafka login to rotate; "
                                    "reactivating it gives it a new one")
            return [PartnerCredentialRotated(partner_id=cmd.partner_id,
                                             credential_generation=partner.credential_generation + 1, rotated_at=now,
                                             actor=cmd.actor.label)]
    assert_never(cmd)


def evolve(state: Partner | None, event: PartnerEvent) -> Partner | None:
    if isinstance(event, PartnerRegistered):
        return Partner(partner_id=event.partner_id, name=event.name, kind=event.kind, contact=event.contact,
                       scope=event.scope, personal_data=event.personal_data)
    assert state is not None
    match event:
        case PartnerChanged():
            earlier = state.earlier_terms
            if (event.scope, event.personal_data) != (state.scope, state.personal_data):
                earlier = (*earlier, (event.changed_at, state.scope, state.personal_data))
            return replace(state, name=event.name, contact=event.contact, scope=event.scope,
                           personal_data=event.personal_data, earlier_terms=earlier)
        case PartnerDeactivated():
            return replace(state, active=False, deactivations=(*state.deactivations, (event.deactivated_at, None)))
        case PartnerReactivated():
            closed = [(start, end or event.reactivated_at) for start, end in state.deactivations]
            return replace(state, active=True, credential_generation=event.credential_generation,
                           deactivations=tuple(closed))
        case PartnerCredentialRotated():
            return replace(state, credential_generation=event.credential_generation)
    assert_never(event)


def inactive_at(partner: Partner, time: datetime) -> bool:
    """Whether ``time`` (an event's) falls within one of the partner's deactivations."""
    return any(start <= time and (end is None or time < end) for start, end in partner.deactivations)


def terms_at(partner: Partner, time: datetime) -> tuple[PartnerScope, PersonalDataPolicy]:
    """The scope and personal-data policy in force at ``time`` (when an event was recorded): those it had before
    the first change recorded after ``time``, or its present ones."""
    for changed_at, scope, personal_data in partner.earlier_terms:
        if time < changed_at:
            return scope, personal_data
    return partner.scope, partner.personal_data


def _existing(state: Partner | None, partner_id: str) -> Partner:
    if state is None:
        raise NotFound(f"no partner {partner_id}")
    return state


def _check_record(cmd: RegisterPartner | ChangePartner) -> None:
    _check_text("name", cmd.name, 100)
    _check_text("contact", cmd.contact, 200)
    not_personal(cmd.name, "name", instead="the partner system's name, e.g. \"省党员信息管理系统\"")
    not_personal(cmd.contact, "contact", instead="the office or role to reach at the partner, e.g. "
                 "\"劳动保障局就业科\" — not a person's or an office's phone number")
    _check_scope(cmd.scope)


def _check_text(field: str, value: str, limit: int) -> None:
    if not value.strip() or len(value) > limit:
        raise DomainError(f"{field}: between 1 and {limit} characters")


def _check_scope(scope: PartnerScope) -> None:
    if not scope.event_types:
        raise DomainError("scope.event_types: name at least one outward event type (GET /v1/schemas lists them)")
    unknown = sorted(set(scope.event_types) - set(CATALOGUE))
    if unknown:
        raise DomainError(f"scope.event_types: unknown outward types {', '.join(unknown[:5])}; "
                          "GET /v1/schemas lists them")
    # The router reads the scope for every event: each list is bounded (a type named once is at most the catalogue).
    if len(set(scope.event_types)) < len(scope.event_types):
        raise DomainError("scope.event_types: name each outward type once")
    for field, ids in (("organisations", scope.organisations), ("townships", scope.townships)):
        if len(ids) > 200:
            raise DomainError(f"scope.{field}: at most 200")
        bad = [i for i in ids if not ORG_ID.fullmatch(i)]
        if bad:
            raise DomainError(f"scope.{field}: {bad[0][:40]!r} is not an organisation id")
