"""The partner aggregate: one stream per partner system, registered and changed by the county.

A partner's name and contact are kept in clear in its events, on gb.partners.events and in partners_view, so
neither may hold anything shaped like a phone or ID number (services/pure/personal_text.py): the contact names
an office or a role at the partner (劳动保障局就业科), never a person's number — the county's own records say
how to reach that office.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from services.partners.contract.commands import ChangePartner, RegisterPartner
from services.partners.contract.events import PartnerChanged, PartnerEvent, PartnerRegistered, PartnerScope
from services.partners.contract.outward.catalogue import CATALOGUE
from services.partners.contract.values import PartnerKind, PersonalDataPolicy
from services.pure.errors import AlreadyExists, DomainError, NotFound
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


INITIAL: Partner | None = None


def decide(state: Partner | None, cmd: RegisterPartner | ChangePartner, *, now: datetime) -> list[PartnerEvent]:
    _check_text("name", cmd.name, 100)
    _check_text("contact", cmd.contact, 200)
    not_personal(cmd.name, "name", instead="the partner system's name, e.g. \"省党员信息管理系统\"")
    not_personal(cmd.contact, "contact", instead="the office or role to reach at the partner, e.g. "
                 "\"劳动保障局就业科\" — not a person's or an office's phone number")
    _check_scope(cmd.scope)
    if isinstance(cmd, RegisterPartner):
        if state is not None:
            raise AlreadyExists(f"partner {cmd.partner_id} is already registered")
        if not PARTNER_ID.fullmatch(cmd.partner_id) or UUID_SHAPE.fullmatch(cmd.partner_id):
            raise DomainError("partner_id: lower-case letters, digits and hyphens, at most 40, starting with a "
                              "letter or digit, not a UUID (it names the partner's Kafka topic)")
        return [PartnerRegistered(partner_id=cmd.partner_id, name=cmd.name.strip(), kind=cmd.kind,
                                  contact=cmd.contact.strip(), scope=cmd.scope, personal_data=cmd.personal_data,
                                  registered_at=now, actor=cmd.actor.label)]
    if state is None:
        raise NotFound(f"no partner {cmd.partner_id}")
    return [PartnerChanged(partner_id=cmd.partner_id, name=cmd.name.strip(), contact=cmd.contact.strip(),
                           scope=cmd.scope, personal_data=cmd.personal_data, changed_at=now,
                           actor=cmd.actor.label)]


def evolve(state: Partner | None, event: PartnerEvent) -> Partner | None:
    if isinstance(event, PartnerRegistered):
        return Partner(partner_id=event.partner_id, name=event.name, kind=event.kind, contact=event.contact,
                       scope=event.scope, personal_data=event.personal_data)
    assert state is not None
    return Partner(partner_id=state.partner_id, name=event.name, kind=state.kind, contact=event.contact,
                   scope=event.scope, personal_data=event.personal_data)


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
    for field, ids in (("organisations", scope.organisations), ("townships", scope.townships)):
        if len(ids) > 200:
            raise DomainError(f"scope.{field}: at most 200")
        bad = [i for i in ids if not ORG_ID.fullmatch(i)]
        if bad:
            raise DomainError(f"scope.{field}: {bad[0][:40]!r} is not an organisation id")
