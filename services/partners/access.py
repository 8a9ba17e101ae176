"""Who reaches which partner record: the county every one, a partner system only its own.

The kernel runs ``authorize`` before every command's handler (``ServiceDefinition.authorize``). A
partner naming a subscription that is not its own — or that does not exist — gets 403 either way, so a
refusal tells it nothing about other partners.
"""

from __future__ import annotations

from typing import Any

from services.kernel.store import EventStore
from services.partners.contract.commands import SUBSCRIPTION_COMMANDS, CreateSubscription
from services.partners.handlers import subscription_of
from services.pure.errors import Forbidden
from services.pure.identity import Actor, Role


async def authorize(store: EventStore[Any], actor: Actor, command: Any) -> None:
    if actor.role is Role.COUNTY_ADMIN:
        return
    # A partner system sends subscription commands only: every partner command (register, change, deactivate,
    # reactivate, rotate) is the county's, and so is anything not listed.
    if actor.role is not Role.PARTNER or not actor.org_id or not isinstance(command, SUBSCRIPTION_COMMANDS):
        raise Forbidden(f"{actor.label} cannot send {type(command).__name__}")
    if isinstance(command, CreateSubscription):
        owner: str | None = command.partner_id
    else:
        existing = await subscription_of(store, command.subscription_id)
        owner = existing.partner_id if existing else None
    if owner != actor.org_id:
        raise Forbidden(f"{actor.label} reaches only the subscriptions of partner {actor.org_id}")
