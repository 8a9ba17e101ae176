"""Membership events: each one dataclass, one stable wire name; schemas are generated from them.

One module per aggregate lists its events in ``EVENTS``; this package joins them into the registry.
"""

from __future__ import annotations

from typing import Any

from services.kernel.events import EventRegistry
from services.membership.events import branches, deadlines, members
from services.membership.events.branches import BranchEstablished
from services.membership.events.common import BuildMode, Contact, DuesCategory, FoundingBasis, Instrument, MemberStatus
from services.membership.events.deadlines import DeadlineRaised
from services.membership.events.members import MemberRegistered, OutflowRegistered

MembershipEvent = BranchEstablished | MemberRegistered | OutflowRegistered | DeadlineRaised

REGISTRY: EventRegistry[Any] = EventRegistry(
    source="/golden-bridge/membership",
    events={**branches.EVENTS, **members.EVENTS, **deadlines.EVENTS},
)

__all__ = [
    "REGISTRY", "BranchEstablished", "BuildMode", "Contact", "DeadlineRaised", "DuesCategory", "FoundingBasis",
    "Instrument",
    "MemberRegistered", "MemberStatus", "MembershipEvent", "OutflowRegistered",
]
