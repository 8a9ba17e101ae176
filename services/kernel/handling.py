"""The one piece of command glue: check idempotency, load, fold, decide, append."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from services.kernel.store import AppendResult, CommandMeta, EventStore, Stream

S = TypeVar("S")
E = TypeVar("E")


def fold(evolve: Callable[[S, E], S], initial: S, events: Iterable[E]) -> S:
    state = initial
    for event in events:
        state = evolve(state, event)
    return state


def state_of(stream: Stream[E], evolve: Callable[[S, E], S], initial: S) -> S:
    return fold(evolve, initial, (r.event for r in stream.events))


async def execute(
    store: EventStore[E],
    *,
    stream_id: str,
    stream_type: str,
    evolve: Callable[[S, E], S],
    initial: S,
    decide: Callable[[S], Sequence[E] | Awaitable[Sequence[E]]],
    meta: CommandMeta,
) -> AppendResult:
    """Run one command against one stream: retry check, load, fold, decide, append.

    A retried command (same idempotency key) returns its first result before anything is
    decided, so a retry never fails on rules its own first attempt made true. ``decide`` gets the
    record's state; when a rule needs facts about other records, the handler's ``decide`` reads them
    (typed) here — after the retry check, against the current state — and calls the pure domain.
    """
    if meta.idempotency_key:
        earlier = await store.lookup_idempotency(meta.idempotency_key, meta.fingerprint)
        if earlier is not None:
            return earlier
    stream = await store.load(stream_id)
    state = state_of(stream, evolve, initial)
    decided = decide(state)
    events: Sequence[E] = await decided if inspect.isawaitable(decided) else decided
    return await store.append(stream, stream_type, events, meta)
