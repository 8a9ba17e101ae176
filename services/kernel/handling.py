"""The one piece of command glue: check idempotency, load, fold, decide, append."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from services.kernel.store import AppendResult, CommandMeta, EventStore, Stream

S = TypeVar("S")
C = TypeVar("C")
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
    decide: Callable[..., Any],
    meta: CommandMeta,
    command: C | None = None,
    context: Callable[[S], Awaitable[dict[str, Any]]] | None = None,
) -> AppendResult:
    """Run one command against one stream.

    A retried command (same idempotency key) returns its first result before anything is
    decided, so a retry never fails on rules its own first attempt made true. ``decide`` gets the
    record's state; it reads the facts about other records its rules need (typed, by the handler)
    and calls the pure domain.

    (Transitional: with ``command``, ``decide(state, command, **context(state))`` — being removed.)
    """
    if meta.idempotency_key:
        earlier = await store.lookup_idempotency(meta.idempotency_key, meta.fingerprint)
        if earlier is not None:
            return earlier
    stream = await store.load(stream_id)
    state = state_of(stream, evolve, initial)
    events: Sequence[E]
    if command is None:
        decided = decide(state)
        events = await decided if inspect.isawaitable(decided) else decided
    else:
        facts = await context(state) if context else {}
        events = decide(state, command, **facts)
    return await store.append(stream, stream_type, events, meta)
