"""Reservations: unique keys a stream holds, claimed and given back in the transaction of its own append.

A rule over several records ("one open secondment per cadre", "one first referral per investor and
project") cannot be guarded by one stream's expected version: two commands on two new streams both
see the other record missing. So the command that makes the rule's fact true claims a key for its
stream ("open-secondment:<cadre>"), and the command that ends it releases the key — both written by
``gb_append_batch`` (store_schema.sql) in the very transaction that appends the events. The
``reservations`` table's primary key makes a key held by one stream at a time across every instance of
the service, and the store's append lock makes the check exact; a claim on a key another stream holds
fails that one command with ``ReservationTaken`` and nothing of it is written. A command may also need a
key *free* without taking it (a cadre's post changes only while no secondment of theirs holds
"away:<cadre>"), and may name the streams it read with the versions it read (``read``): if one moved on
before the append, its decision is ``StaleRead``. ``handling.execute`` then reads the facts again and
decides again, so the loser meets the rule as if it had come second.
Design and alternatives: docs/decisions/cross-record-rules.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.pure.errors import ConcurrencyConflict


@dataclass(frozen=True, kw_only=True)
class Reservations:
    """What an append claims for its stream, gives back, needs free, and which other streams' versions it
    decided on. A release of a key the stream does not hold changes nothing."""

    claim: tuple[str, ...] = ()
    release: tuple[str, ...] = ()
    free: tuple[str, ...] = ()
    #: (stream id, version read): the append is refused if any of them has moved on since.
    read: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if len({*self.claim, *self.release, *self.free}) != len(self.claim) + len(self.release) + len(self.free):
            raise ValueError("a key is claimed, released or needed free once by one append")

    def __bool__(self) -> bool:
        return bool(self.claim or self.release or self.free or self.read)


NONE = Reservations()


def reservation_columns(items: Sequence[Reservations]) -> tuple[list[int], list[str], list[str],
                                                                list[int], list[str], list[int]]:
    """A batch's reservations as gb_append_batch takes them, numbered by item (from 1): keys with their kind
    (claim, release, free), then the streams read with their versions — parallel arrays, each in item order
    (gb_append_batch walks every item's run of them once)."""
    keys = [(index, key, kind) for index, r in enumerate(items, start=1)
            for kind, named in (("claim", r.claim), ("release", r.release), ("free", r.free)) for key in named]
    reads = [(index, stream, version) for index, r in enumerate(items, start=1) for stream, version in r.read]
    return ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys],
            [g[0] for g in reads], [g[1] for g in reads], [g[2] for g in reads])


class StaleDecision(ConcurrencyConflict):
    """Facts a command decided on changed before its append: read them again and decide again.

    A 409 the client may retry when it escapes ``execute``'s own retries (other records kept changing).
    """


class ReservationTaken(StaleDecision):
    """Another record holds a key this command claims or needs free."""

    def __init__(self, detail: str, *, key: str, holder: str, stream_id: str) -> None:
        # Only the stream goes to the client: a key names other records (a cadre, an investor's project).
        super().__init__(detail, stream_id=stream_id)
        self.key = key
        self.holder = holder


class StaleRead(StaleDecision):
    """A stream this command read has moved on since."""

    def __init__(self, detail: str, *, read: str, stream_id: str) -> None:
        super().__init__(detail, stream_id=stream_id)
        self.read = read
