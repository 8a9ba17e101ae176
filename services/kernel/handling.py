"""The one piece of command glue: check idempotency, load (a new record's stream is not read), fold, decide, append."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from services.kernel.reservations import NONE, Reservations, StaleDecision
from services.kernel.store import AppendResult, CommandMeta, EventStore, Stream

log = logging.getLogger(__name__)

S = TypeVar("S")
E = TypeVar("E")

#: How often a command whose facts changed before its append is decided again. Each retry follows a
#: commit of another record (so the facts did change); a few bound a pathological churn,
#: after which the client gets the 409 it may retry.
RESERVATION_ATTEMPTS = 4


#: The id the command API made up for the record the command being run creates (``CommandRoute.new_id``).
_minted: ContextVar[str | None] = ContextVar("minted_record_id", default=None)


@contextmanager
def minted(record_id: str | None) -> Iterator[None]:
    """Run a command whose new record's id ``record_id`` was just made up (a UUID4) by the command API: no event
    can name it yet, so reading its stream (or asking what names it) would only find nothing, at a round trip
    each. Should an id ever collide, the append at version 0 is refused (409): nothing is written over."""
    token = _minted.set(record_id)
    try:
        yield
    finally:
        _minted.reset(token)


def is_minted(record_id: str) -> bool:
    """Whether ``record_id`` is the id made up for the command being run (see :func:`minted`)."""
    return record_id == _minted.get()


def fold(evolve: Callable[[S, E], S], initial: S, events: Iterable[E]) -> S:
    state = initial
    for event in events:
        state = evolve(state, event)
    return state


def state_of(stream: Stream[E], evolve: Callable[[S, E], S], initial: S, *, kind: str) -> S:
    """The record of ``kind`` a stream holds: ``initial`` when it holds a record of another kind (its id is the
    other record's, as an id a client chose can be), so a command or a rule meets "no such record", never
    another kind's events folded as its own."""
    if stream.stream_type not in (None, kind):
        return initial
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
    reserve: Callable[[S, Sequence[E]], Reservations] | None = None,
) -> AppendResult:
    """Run one command against one stream: retry check, load, fold, decide, append.

    A retried command (same idempotency key) returns its first result before anything is
    decided, so a retry never fails on rules its own first attempt made true. ``decide`` gets the
    record's state; when a rule needs facts about other records, the handler's ``decide`` reads them
    (typed) here — after the retry check, against the current state — and calls the pure domain.

    Such a rule is held by ``reserve``: from the state and the decided events it names the keys the
    append claims and releases (services/kernel/reservations.py), written in the append's transaction.
    When another record took a claimed key first, or a stream read has moved on, the facts read were out
    of date: the command is loaded, read and decided again, and meets the rule as the one that came second.
    """
    if meta.idempotency_key:
        earlier = await store.lookup_idempotency(meta.idempotency_key, meta.fingerprint)
        if earlier is not None:
            return earlier
    attempts = 0
    while True:
        attempts += 1
        # A minted stream is empty; on a second attempt (another record's facts moved) it is read like any other.
        fresh = attempts == 1 and is_minted(stream_id)
        stream = Stream[E](stream_id=stream_id) if fresh else await store.load(stream_id)
        state = state_of(stream, evolve, initial, kind=stream_type)
        decided = decide(state)
        events: Sequence[E] = await decided if inspect.isawaitable(decided) else decided
        reservations = reserve(state, events) if reserve is not None else NONE
        try:
            if not reservations:  # the plain append, as every store (and store fake) takes it
                return await store.append(stream, stream_type, events, meta)
            return await store.append(stream, stream_type, events, meta, reservations)
        except StaleDecision as stale:
            if attempts == RESERVATION_ATTEMPTS:
                raise
            log.info("%s decided on facts that changed (%s); reading them again", stream_id, stale.detail)
