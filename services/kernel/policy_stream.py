"""A service's policy stream on its own store: the county's published policy changes (services/pure/policy_data.py),
read once per command, and a change published. The one copy every service with county settings calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from services.kernel.handling import execute, state_of
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.pure.policy_data import (
    NONE_PUBLISHED,
    POLICY_STREAM,
    PolicyBook,
    PolicyChangePublished,
    PublishPolicyChange,
    decide_publish,
    evolve_published,
)

Published = tuple[PolicyChangePublished, ...]
# The policy stream holds only published changes; its evolve is used on the service-wide event type here.
_evolve = cast(Callable[[Published, Any], Published], evolve_published)


async def published_changes(store: EventStore[Any]) -> Published:
    """Every published change (a tiny stream). Read before the command's own stream: a change published meanwhile
    starts after today, so it never concerns a fact the command records."""
    return state_of(await store.load(POLICY_STREAM), _evolve, NONE_PUBLISHED)


async def publish_policy_change(store: EventStore[Any], cmd: PublishPolicyChange, meta: CommandMeta,
                                book: PolicyBook) -> AppendResult:
    """A county setting changed from a day after today: one event on the service's policy stream."""
    return await execute(store, stream_id=POLICY_STREAM, stream_type="policy", evolve=_evolve, initial=NONE_PUBLISHED,
                         decide=lambda published: decide_publish(published, cmd, book), meta=meta)
