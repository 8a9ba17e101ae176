"""A service's policy stream on its own store: the county's published policy changes (services/pure/policy_data.py),
read once per command, and a change published. The one copy every service with county settings calls."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, Protocol, TypeVar, cast

from services.kernel.handling import execute, state_of
from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.pure.dates import noted, recording_reason
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


#: The published changes read during one command, by store (see ``one_read_per_command``).
_read: ContextVar[dict[int, Published] | None] = ContextVar("gb_published_changes", default=None)


@contextmanager
def one_read_per_command() -> Iterator[None]:
    """Within it, the policy stream is read once per store: a handler and its recording rule both ask for it.

    A change published meanwhile starts after today (``decide_publish``), so it never concerns a fact the command
    records, nor the recording day: the first read is as good as a later one for the whole command."""
    token = _read.set({})
    try:
        yield
    finally:
        _read.reset(token)


async def published_changes(store: EventStore[Any]) -> Published:
    """Every published change (a tiny stream). Read before the command's own stream: a change published meanwhile
    starts after today, so it never concerns a fact the command records."""
    read = _read.get()
    if read is not None and (published := read.get(id(store))) is not None:
        return published
    published = state_of(await store.load(POLICY_STREAM), _evolve, NONE_PUBLISHED, kind="policy")
    if read is not None:
        read[id(store)] = published
    return published


async def publish_policy_change(store: EventStore[Any], cmd: PublishPolicyChange, meta: CommandMeta,
                                book: PolicyBook) -> AppendResult:
    """A county setting changed from a day after today: one event on the service's policy stream."""
    return await execute(store, stream_id=POLICY_STREAM, stream_type="policy", evolve=_evolve, initial=NONE_PUBLISHED,
                         decide=lambda published: decide_publish(published, cmd, book), meta=meta)


class RecordingPolicy(Protocol):
    """What the recording rule reads of a service's policy."""

    @property
    def backdating_limit_days(self) -> int: ...
    @property
    def records_kept_from(self) -> date: ...


S = TypeVar("S")
E = TypeVar("E")


def recorded(store: EventStore[Any], cmd: Any, decide: Callable[[S], Sequence[E] | Awaitable[Sequence[E]]],
             policy_of: Callable[[Published, date], RecordingPolicy]) -> Callable[[S], Awaitable[list[E]]]:
    """``decide`` behind the one rule of the recording axis (services/pure/dates.py): the command's effective dates
    against the day it is recorded — never in the future; backdated only with a reason and within the limit — by
    the policy in force on the recording day as the county published it (``policy_of`` picks it from the
    published changes); the reason is recorded on every event it decides."""

    async def run(state: S) -> list[E]:
        policy = policy_of(await published_changes(store), cmd.today)
        reason = recording_reason(cmd, limit_days=policy.backdating_limit_days, archive_before=policy.records_kept_from)
        decided = decide(state)
        return noted(await decided if inspect.isawaitable(decided) else decided, reason)

    return run
