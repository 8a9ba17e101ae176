"""Reservations: unique keys a stream holds, claimed and given back in the transaction of its own append.

A rule over several records ("one open secondment per cadre", "one first referral per investor and
project") cannot be guarded by one stream's expected version: two commands on two new streams both
see the other record missing. So the command that makes the rule's fact true claims a key for its
stream ("open-secondment:<cadre>"), and the command that ends it releases the key — both written by
``gb_append_batch`` (store_schema.sql) in the very transaction that appends the events. The
``reservations`` table's primary key makes a key held by one stream at a time across every instance of
the service, and the store's append lock makes the check exact; a claim on a key another stream holds
fails that one command with ``ReservationTaken`` and nothing of it is written. ``handling.execute`` then
reads the facts again and decides again, so the loser meets the rule as if it had come second.
Design and alternatives: docs/decisions/cross-record-rules.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.pure.errors import ConcurrencyConflict


@dataclass(frozen=True, kw_only=True)
class Reservations:
    """Keys an append claims for its stream, and keys its stream gives back (a release of a key the stream
    does not hold changes nothing)."""

    claim: tuple[str, ...] = ()
    release: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if set(self.claim) & set(self.release):
            raise ValueError("a key cannot be claimed and released by one append")

    def __bool__(self) -> bool:
        return bool(self.claim or self.release)


NONE = Reservations()


def reservation_columns(items: Sequence[Reservations]) -> tuple[list[int], list[str], list[bool]]:
    """A batch's claims and releases as gb_append_batch takes them: item number (from 1), key, claim (else
    release) — three parallel arrays."""
    entries = [(index, key, claim) for index, r in enumerate(items, start=1)
               for claim, keys in ((True, r.claim), (False, r.release)) for key in keys]
    return [e[0] for e in entries], [e[1] for e in entries], [e[2] for e in entries]


class ReservationTaken(ConcurrencyConflict):
    """Another record holds a key this command claims: the facts it decided on are out of date.

    A 409 the client may retry when it escapes ``execute``'s own retries (another record kept winning).
    """

    def __init__(self, detail: str, *, key: str, holder: str, stream_id: str) -> None:
        # Only the stream goes to the client: a key names other records (a cadre, an investor's project).
        super().__init__(detail, stream_id=stream_id)
        self.key = key
        self.holder = holder
