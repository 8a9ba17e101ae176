"""An id a client chooses for a record: an organisation's, a host organisation's or a unit's official code.

A record's stream id is its own id (so Kafka keys and CloudEvents subjects are record ids), and a service keeps
streams of its own under names it derives: its published policy and, in membership, the dues scales, a member's
dues account, an organisation's dues ledger, a record's deadlines, a member's training in a year. An id chosen to
be one of those names would take that stream before its record is ever written (the county's policy, or a
member's dues, blocked for good), so each service refuses it where the id is chosen. The kernel refuses any append
to a stream of another kind as well (services/kernel/store.py); this says why, before anything is taken.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.pure.errors import DomainError


@dataclass(frozen=True)
class OwnStreams:
    """The stream names a service keeps for itself: whole names, and prefixes of names derived from a record's id."""

    names: frozenset[str]
    prefixes: tuple[str, ...] = ()

    def holds(self, stream_id: str) -> bool:
        return stream_id in self.names or stream_id.startswith(self.prefixes)


def chosen_id(record_id: str, what: str, own: OwnStreams) -> str:
    """``record_id`` when a client may name a new record so: not blank, no spaces around it, and none of the stream
    names its service keeps for itself (``own``)."""
    if not record_id.strip():
        raise DomainError(f"{what} is required: the record's official code")
    if record_id != record_id.strip():
        raise DomainError(f"{what} {record_id.strip()!r} has spaces around it; send it without them")
    if own.holds(record_id):
        kept = ", ".join(sorted(own.names))
        if own.prefixes:
            kept += f", and names beginning {' or '.join(own.prefixes)}"
        raise DomainError(f"{what} {record_id!r} is a name the system keeps for its own records ({kept}); "
                          "use the record's official code")
    return record_id
