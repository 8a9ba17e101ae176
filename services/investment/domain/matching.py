"""First referral wins (B8 第一引荐人, registration first): which registrations are the same lead.

Two registrations are the same lead when their investor and project have the same ``match_key``.
The handler keeps a ``LeadIndex`` (a pure fold of lead events over all leads, keyed by match key)
and passes ``earlier_lead_id=index_lookup(index, key)`` to ``leads.decide`` for ``RegisterLead``:
``None`` makes the registration the first referral, an id records it as a duplicate attributed to
that earlier lead. A dropped lead releases its key, so a later registration of the same investor and
project starts afresh (B8: a stalled lead goes to someone else). Two registrations racing for the
same key (on two instances of the service, say) both read "no earlier lead": ``first_referral_keys``
names the key a first registration claims and a drop gives back, and the event store holds it unique
in the append's own transaction, so the slower one reads again and is recorded as a duplicate
(services/kernel/reservations.py, docs/decisions/cross-record-rules.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import assert_never

from services.investment.contract.events import (
    FundsArrived,
    LeadAdvanced,
    LeadDropped,
    LeadDuplicateRecorded,
    LeadEvent,
    LeadLanded,
    LeadRegistered,
    RewardClaimed,
)

SEPARATOR = "|"


def normalise_name(name: str) -> str:
    """A name reduced to what tells two names apart.

    NFKC folds full-width letters, digits and punctuation into ordinary ones (ＡＢＣ１ → ABC1); case is
    folded; whitespace, punctuation and symbols (Unicode categories Z*, P*, S*, C*) are dropped, so
    "Acme Co., Ltd." and "ＡＣＭＥ　ｃｏ　ｌｔｄ" are the same name. Letters and digits of any script stay.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in ("L", "M", "N"))


def match_key(investor: str, project: str) -> str:
    """The key under which an investor's project is registered once: normalised investor | normalised project."""
    return f"{normalise_name(investor)}{SEPARATOR}{normalise_name(project)}"


@dataclass(frozen=True, kw_only=True)
class LeadIndex:
    """Open first registrations by match key (a read model the register handler consults)."""

    by_key: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))


INITIAL_INDEX = LeadIndex()


def index_lookup(index: LeadIndex, key: str) -> str | None:
    """The lead a new registration under ``key`` would duplicate, if any."""
    return index.by_key.get(key)


def index_evolve(index: LeadIndex, event: LeadEvent) -> LeadIndex:
    match event:
        case LeadRegistered():
            return replace(index, by_key=MappingProxyType({**index.by_key, event.match_key: event.lead_id}))
        case LeadDropped():
            if index.by_key.get(event.match_key) != event.lead_id:
                return index
            return replace(index, by_key=MappingProxyType(
                {k: v for k, v in index.by_key.items() if k != event.match_key}))
        case LeadDuplicateRecorded() | LeadAdvanced() | FundsArrived() | LeadLanded() | RewardClaimed():
            return index
        case _:
            assert_never(event)


def first_referral_key(key: str) -> str:
    """The reservation a first registration under ``match_key`` ``key`` holds while it is open."""
    return f"first-referral:{key}"


def first_referral_keys(events: Iterable[LeadEvent]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The reservations one lead's new events claim (a first registration) and give back (a drop).

    A drop gives back only what its lead holds (the store checks the holder), as ``index_evolve``
    forgets a key only for the lead it names; a duplicate claims nothing.
    """
    claim: list[str] = []
    release: list[str] = []
    for event in events:
        match event:
            case LeadRegistered():
                claim.append(first_referral_key(event.match_key))
            case LeadDropped():
                release.append(first_referral_key(event.match_key))
            case LeadDuplicateRecorded() | LeadAdvanced() | FundsArrived() | LeadLanded() | RewardClaimed():
                pass
            case _:
                assert_never(event)
    return tuple(claim), tuple(release)
